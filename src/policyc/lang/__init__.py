"""policyc.lang: the policy language (grammar, parser, AST, checker, compiler to engine IR)."""
