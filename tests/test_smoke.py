from policyc import parse_program


def test_transitive_closure_and_proof() -> None:
    program = parse_program("path(X, Y) :- edge(X, Y).\npath(X, Y) :- edge(X, Z), path(Z, Y).\n")
    model = program.evaluate({"edge": [("a", "b"), ("b", "c")]})
    assert model.facts["path"] == {("a", "b"), ("b", "c"), ("a", "c")}
    proof = model.explain("path", ("a", "c"))
    assert proof.rule_id == "path#2"
    assert [p.fact for p in proof.premises] == [("edge", ("a", "b")), ("path", ("b", "c"))]
