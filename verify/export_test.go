package verify

// CheckPolicy applies a compiled policy to a cryptographically verified bundle exactly as a
// Verifier does after the signature checks, so property tests can try many policies against
// one verification.
func CheckPolicy(c *Compiled, vb *Verified) *Failure {
	_, _, f := (&Verifier{policy: c}).checkPolicy(vb)
	return f
}
