package gitlab_test

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/signet-ci/signet/gitlab"
)

// parseGitLabDotenv reads a dotenv report the way GitLab's Ci::ParseDotenvArtifactService
// does, as an oracle independent of the encoder:
//
//   - the file must be smaller than sizeLimit bytes (5 KB by default);
//   - invalid UTF-8 becomes U+FFFD and a leading byte-order mark is dropped;
//   - each line (split after "\n") must match ^(.*?)=(.*)$, so an empty line or a comment
//     is an error; key and value are stripped of surrounding whitespace (Ruby's strip);
//   - keys are ASCII letters, digits and _ (1 to 255 of them); quotes are kept as they are,
//     nothing is unescaped or expanded; a repeated key keeps its last value;
//   - more than countLimit variables (20 by default on self-managed) is an error.
func parseGitLabDotenv(b []byte, sizeLimit, countLimit int) (map[string]string, error) {
	if len(b) >= sizeLimit {
		return nil, fmt.Errorf("Dotenv Artifact Too Big. Maximum Allowable Size: %d", sizeLimit)
	}
	s := strings.ToValidUTF8(string(b), string(utf8.RuneError))
	s = strings.TrimPrefix(s, "\uFEFF")
	vars := map[string]string{}
	for _, line := range strings.SplitAfter(s, "\n") {
		if line == "" {
			continue // SplitAfter's empty tail after a final newline; Ruby yields no such line
		}
		m := dotenvLine.FindStringSubmatch(strings.TrimSuffix(line, "\n"))
		if m == nil {
			return nil, errors.New("Invalid Format")
		}
		key, value := rubyStrip(m[1]), rubyStrip(m[2])
		if !dotenvKeyRule.MatchString(key) || len(key) > 255 {
			return nil, fmt.Errorf("Key can contain only letters, digits and '_': %q", key)
		}
		vars[key] = value
	}
	if len(vars) > countLimit {
		return nil, fmt.Errorf("Dotenv files cannot have more than %d variables", countLimit)
	}
	return vars, nil
}

var (
	dotenvLine    = regexp.MustCompile(`^(.*?)=(.*)$`)
	dotenvKeyRule = regexp.MustCompile(`^[a-zA-Z0-9_]+$`)
)

// rubyStrip is Ruby's String#strip: leading and trailing whitespace and NUL.
func rubyStrip(s string) string { return strings.Trim(s, " \t\n\v\f\r\x00") }

// TestDotenvOracle pins the oracle to GitLab's documented behaviour.
func TestDotenvOracle(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    map[string]string
		wantErr string
	}{
		{in: "A=1\nB= two \n", want: map[string]string{"A": "1", "B": "two"}},
		{in: "\uFEFFA=\"q\"\r\n", want: map[string]string{"A": `"q"`}},
		{in: "A=1\nA=2", want: map[string]string{"A": "2"}},
		{in: "A=x=y\n", want: map[string]string{"A": "x=y"}},
		{in: "A=1\n\nB=2\n", wantErr: "Invalid Format"},
		{in: "# comment\n", wantErr: "Invalid Format"},
		{in: "A-B=1\n", wantErr: "Key can contain only"},
		{in: strings.Repeat("K=v\n", 21), want: map[string]string{"K": "v"}},
		{in: strings.Repeat("x", 5120), wantErr: "Too Big"},
	}
	for _, tt := range tests {
		got, err := parseGitLabDotenv([]byte(tt.in), gitlab.DotenvMaxBytes, gitlab.DotenvMaxVariables)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("parse %q: error %v, want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("parse %q: %v", tt.in, err)
		}
		if diff := cmpDiff(tt.want, got); diff != "" {
			t.Errorf("parse %q (-want +got):\n%s", tt.in, diff)
		}
	}
	var many strings.Builder
	for i := range 21 {
		fmt.Fprintf(&many, "K%d=v\n", i)
	}
	if _, err := parseGitLabDotenv([]byte(many.String()), gitlab.DotenvMaxBytes, gitlab.DotenvMaxVariables); err == nil {
		t.Error("21 variables parsed; GitLab refuses more than 20 on self-managed by default")
	}
}

// TestEncodeDotenv checks that whatever the encoder writes, GitLab reads back unchanged, and
// that it refuses what GitLab would change or refuse.
func TestEncodeDotenv(t *testing.T) {
	t.Parallel()
	manyVars := make([]gitlab.Variable, 21)
	for i := range manyVars {
		manyVars[i] = gitlab.Variable{Key: fmt.Sprintf("K%d", i), Value: "v"}
	}
	tests := []struct {
		name    string
		vars    []gitlab.Variable
		wantErr string
	}{
		{name: "report", vars: []gitlab.Variable{{"SIGNET_INDEX", "attestations/index.json"},
			{"SIGNET_IDENTITY", "https://gitlab.com/g/p//.gitlab-ci.yml@refs/heads/main"}, {"SIGNET_SUBJECT_COUNT", "3"}, {"EMPTY", ""}}},
		{name: "space", vars: []gitlab.Variable{{"A", "my dir/index.json"}}, wantErr: `A="my dir/index.json"`},
		{name: "leading space", vars: []gitlab.Variable{{"A", " x"}}, wantErr: "whitespace"},
		{name: "newline", vars: []gitlab.Variable{{"A", "a\nb"}}, wantErr: "whitespace"},
		{name: "quote", vars: []gitlab.Variable{{"A", `"x"`}}, wantErr: "quote"},
		{name: "dollar", vars: []gitlab.Variable{{"A", "$HOME"}}, wantErr: "$"},
		{name: "control", vars: []gitlab.Variable{{"A", "a\x00b"}}, wantErr: "control"},
		{name: "key", vars: []gitlab.Variable{{"A-B", "x"}}, wantErr: `key "A-B"`},
		{name: "empty key", vars: []gitlab.Variable{{"", "x"}}, wantErr: `key ""`},
		{name: "duplicate", vars: []gitlab.Variable{{"A", "1"}, {"A", "2"}}, wantErr: "twice"},
		{name: "too many", vars: manyVars, wantErr: "21 variables"},
		{name: "too big", vars: []gitlab.Variable{{"A", strings.Repeat("x", 5200)}}, wantErr: "less than 5120"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b, err := gitlab.EncodeDotenv(tt.vars)
			if tt.wantErr != "" {
				if !errors.Is(err, gitlab.ErrDotenv) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("EncodeDotenv: error %v, want ErrDotenv containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, err := parseGitLabDotenv(b, gitlab.DotenvMaxBytes, gitlab.DotenvMaxVariables)
			if err != nil {
				t.Fatalf("GitLab would refuse the report: %v\n%s", err, b)
			}
			want := map[string]string{}
			for _, v := range tt.vars {
				want[v.Key] = v.Value
			}
			if diff := cmpDiff(want, got); diff != "" {
				t.Errorf("GitLab reads back (-written +read):\n%s", diff)
			}
			if bytes.Count(b, []byte("\n")) != len(tt.vars) {
				t.Errorf("report has %d lines for %d variables:\n%s", bytes.Count(b, []byte("\n")), len(tt.vars), b)
			}
		})
	}
}
