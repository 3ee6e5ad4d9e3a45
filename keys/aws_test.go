package keys_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/signet-ci/signet/internal/backoff"
	"github.com/signet-ci/signet/keys"
)

// secretKey is the AWS secret the tests configure; no error may show it.
const secretKey = "wJalrXUtnFEMI-K7MDENG-bPxRfiCYSECRETKEY"

// awsEnv points the AWS SDK (which reads its own environment, as in cosign) at url on
// loopback with test credentials, and isolates it from the machine's AWS files and from the
// EC2 metadata service. creds false leaves credentials out.
func awsEnv(t *testing.T, url string, creds bool) {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("AWS_ENDPOINT_URL_KMS", url)
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_WEB_IDENTITY_TOKEN_FILE", "")
	t.Setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "")
	t.Setenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "")
	t.Setenv("AWS_SESSION_TOKEN", "")
	if creds {
		t.Setenv("AWS_ACCESS_KEY_ID", "AKIDSIGNETTEST")
		t.Setenv("AWS_SECRET_ACCESS_KEY", secretKey)
	} else {
		t.Setenv("AWS_ACCESS_KEY_ID", "")
		t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	}
}

// fastRetry is three attempts a few milliseconds apart.
func fastRetry(t *testing.T, attempts int) keys.Option {
	t.Helper()
	p, err := backoff.New(backoff.WithAttempts(attempts), backoff.WithDelay(5*time.Millisecond, 10*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	return keys.WithRetry(p)
}

// TestAWSKMSFailures runs the real sigstore AWS KMS client against a loopback server that
// fails in each way a KMS can: the retry is bounded, a refusal is not retried, a slow answer
// is cut off, and every error names the service and the key but never the secret.
func TestAWSKMSFailures(t *testing.T) {
	tests := []struct {
		name      string
		handler   func(w http.ResponseWriter, r *http.Request)
		creds     bool
		timeout   time.Duration
		wantCalls int32
		want      []string
	}{
		{
			name: "5xx is retried, then named",
			handler: func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "application/x-amz-json-1.1")
				w.WriteHeader(http.StatusInternalServerError)
				_, _ = w.Write([]byte(`{"__type":"KMSInternalException","message":"boom"}`))
			},
			creds: true, wantCalls: 3,
			want: []string{"key service", "AWS KMS awskms:///alias/release: fetching the public key: failed after 3 attempt(s)", "KMSInternalException"},
		},
		{
			name: "a refusal is not retried",
			handler: func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "application/x-amz-json-1.1")
				w.WriteHeader(http.StatusBadRequest)
				_, _ = w.Write([]byte(`{"__type":"AccessDeniedException","message":"not allowed to use this key"}`))
			},
			creds: true, wantCalls: 1,
			want: []string{"AWS KMS awskms:///alias/release: fetching the public key", "AccessDeniedException"},
		},
		{
			name: "a slow KMS is cut off",
			handler: func(w http.ResponseWriter, r *http.Request) {
				select {
				case <-r.Context().Done():
				case <-time.After(time.Second):
				}
			},
			creds: true, timeout: 100 * time.Millisecond, wantCalls: 2,
			want: []string{"AWS KMS awskms:///alias/release: fetching the public key: failed after 2 attempt(s)", "no answer within 100ms"},
		},
		{
			name:    "missing credentials",
			handler: func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusTeapot) },
			creds:   false, wantCalls: 0,
			want: []string{"AWS KMS awskms:///alias/release: fetching the public key", "credentials"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				calls.Add(1)
				tt.handler(w, r)
			}))
			defer srv.Close()
			awsEnv(t, srv.URL, tt.creds)
			ref, err := keys.Parse("awskms:///alias/release")
			if err != nil {
				t.Fatal(err)
			}
			attempts := 3
			if tt.timeout > 0 {
				attempts = 2
			}
			opts := []keys.Option{fastRetry(t, attempts)}
			if tt.timeout > 0 {
				opts = append(opts, keys.WithTimeout(tt.timeout))
			}
			start := time.Now()
			s, err := keys.Open(t.Context(), ref, opts...)
			took := time.Since(start)
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded against a failing KMS")
			}
			t.Logf("error: %v", err)
			if !errors.Is(err, keys.ErrService) {
				t.Errorf("error %v is not keys.ErrService", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if strings.Contains(err.Error(), secretKey) {
				t.Fatalf("error shows the secret key: %v", err)
			}
			if got := calls.Load(); got != tt.wantCalls {
				t.Errorf("the KMS got %d requests, want %d (bounded retry)", got, tt.wantCalls)
			}
			if took > 900*time.Millisecond {
				t.Errorf("Open took %v against a failing KMS", took)
			}
		})
	}
}
