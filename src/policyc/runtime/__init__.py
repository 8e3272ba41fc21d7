"""The runtime around the pure engine: state kept across decisions (sessions), supplied to the
engine as trusted facts."""
