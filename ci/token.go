package ci

import (
	"context"
	"fmt"
	"time"

	"github.com/signet-ci/signet/core"
)

// checkedToken checks every token its source gives with core.CheckToken.
type checkedToken struct {
	src  core.TokenSource
	from string
	now  func() time.Time
}

// Checked returns a token source that checks each of src's tokens before handing it out: a
// JWT, for Fulcio's audience, not expired. from names the source in errors
// ("SIGSTORE_ID_TOKEN", "--identity-token-file \"tok\"", "the runner's ID token").
func Checked(src core.TokenSource, from string) core.TokenSource {
	return checkedToken{src: src, from: from, now: time.Now}
}

// Token returns the source's token once it passed the checks. When the source itself refuses
// its token with one of core's token sentinels (sigstore.StaticToken and FileToken check as
// core.CheckToken does), the error is prefixed with from, so it names the flag or variable
// the user set.
func (c checkedToken) Token(ctx context.Context) (string, error) {
	tok, err := c.src.Token(ctx)
	if err != nil {
		if core.IsTokenError(err) {
			return "", fmt.Errorf("%s: %w", c.from, err)
		}
		return "", err
	}
	if _, err := core.CheckToken(tok, c.from, c.now()); err != nil {
		return "", err
	}
	return tok, nil
}
