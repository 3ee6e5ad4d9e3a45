package provenance

import (
	"testing"
)

func TestDetect(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		env  map[string]string
		want Platform
	}{
		{"nothing", nil, Local},
		{"github", map[string]string{"GITHUB_ACTIONS": "true", "CI": "true"}, GitHub},
		{"gitlab", map[string]string{"GITLAB_CI": "true", "CI": "true"}, GitLab},
		{"tekton by taskrun uid", map[string]string{"TEKTON_TASKRUN_UID": "6f1c9c0e"}, Tekton},
		{"explicit override wins", map[string]string{"SIGNET_PLATFORM": "Tekton", "GITHUB_ACTIONS": "true"}, Tekton},
		{"invalid override ignored", map[string]string{"SIGNET_PLATFORM": "jenkins", "GITLAB_CI": "true"}, GitLab},
		{"github false", map[string]string{"GITHUB_ACTIONS": "false"}, Local},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := Detect(envFunc(tt.env)); got != tt.want {
				t.Errorf("Detect = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParsePlatform(t *testing.T) {
	t.Parallel()
	if p, err := ParsePlatform(" GitLab "); err != nil || p != GitLab {
		t.Errorf("ParsePlatform = %q, %v", p, err)
	}
	if _, err := ParsePlatform("jenkins"); err == nil || err.Error() != `platform "jenkins": expected one of local, github, gitlab, tekton` {
		t.Errorf("error = %v", err)
	}
}

func TestClaimsVisibility(t *testing.T) {
	t.Parallel()
	tests := []struct {
		claims      string
		visibility  string
		private     bool
		platform    Platform
		wantSubject string
	}{
		{`{"job_workflow_ref":"o/r/.github/workflows/x.yml@refs/heads/main","repository_visibility":"private","sub":"repo:o/r:ref:refs/heads/main"}`, "private", true, GitHub, "repo:o/r:ref:refs/heads/main"},
		{`{"job_workflow_ref":"x","repository_visibility":"internal"}`, "internal", true, GitHub, ""},
		{`{"job_workflow_ref":"x","repository_visibility":"public"}`, "public", false, GitHub, ""},
		{`{"project_path":"g/p","pipeline_id":"1","project_visibility":"private"}`, "private", true, GitLab, ""},
		{`{"project_path":"g/p","pipeline_id":"1","project_visibility":"public"}`, "public", false, GitLab, ""},
		{`{"kubernetes.io":{"namespace":"ci"}}`, "", false, Tekton, ""},
		{`{"email":"a@b.c"}`, "", false, Local, ""},
	}
	for _, tt := range tests {
		t.Run(tt.claims, func(t *testing.T) {
			t.Parallel()
			c, err := parseClaims([]byte(tt.claims))
			if err != nil {
				t.Fatal(err)
			}
			if c.Visibility() != tt.visibility || c.IsPrivate() != tt.private || c.Platform() != tt.platform || c.Subject() != tt.wantSubject {
				t.Errorf("Visibility %q IsPrivate %v Platform %q Subject %q; want %q %v %q %q",
					c.Visibility(), c.IsPrivate(), c.Platform(), c.Subject(), tt.visibility, tt.private, tt.platform, tt.wantSubject)
			}
		})
	}
}
