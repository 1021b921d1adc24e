package dispatch

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
)

func TestAuthorizationCheckRejectsIncomplete(t *testing.T) {
	tests := []struct {
		name     string
		auth     Authorization
		wantText []string
	}{
		{name: "basic without username", auth: Authorization{Type: "basic", Password: "s3cret"}, wantText: []string{"missing username"}},
		{name: "api key without header", auth: Authorization{Type: "api_key", Value: "k-123"}, wantText: []string{"missing key name"}},
		{name: "api key invalid header", auth: Authorization{Type: "api_key", Key: "X Api Key", Value: "k-123"}, wantText: []string{`"X Api Key"`, "not a valid header name"}},
		{name: "bearer without token", auth: Authorization{Type: "bearer"}, wantText: []string{"missing token"}},
		{name: "digest without username", auth: Authorization{Type: "digest", Password: "s3cret"}, wantText: []string{"digest", "missing username"}},
		{name: "api key bad placement", auth: Authorization{Type: "api_key", Key: "key", Value: "k-123", AddTo: "body"}, wantText: []string{`"body"`, "header or query"}},
		{name: "oauth2 without client id", auth: Authorization{Type: "oauth2_client_credentials", OAuth2: &OAuth2{TokenURL: "http://127.0.0.1:1/token", ClientSecret: "s3cret"}}, wantText: []string{"missing client_id"}},
		{name: "oauth2 without endpoint", auth: Authorization{Type: "oauth2_client_credentials", OAuth2: &OAuth2{ClientID: "sidecar", ClientSecret: "s3cret"}}, wantText: []string{"token_url or authority"}},
		{name: "unknown type", auth: Authorization{Type: "ntlm"}, wantText: []string{`"ntlm"`, "basic, digest, api_key, bearer"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.auth.Check("receiver")

			if err == nil {
				t.Fatal("Check = nil, want an error")
			}
			for _, text := range append(tt.wantText, `"receiver"`) {
				if !strings.Contains(err.Error(), text) {
					t.Errorf("error %q does not mention %s", err, text)
				}
			}
			for _, secret := range []string{"s3cret", "k-123"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error %q contains the secret %q", err, secret)
				}
			}
		})
	}
}

func TestAuthorizationCheckAcceptsComplete(t *testing.T) {
	for _, a := range []Authorization{
		{Type: "basic", Username: "hooks", Password: "s3cret"},
		{Type: "api_key", Key: "X-Api-Key", Value: "k-123"},
		{Type: "bearer", Token: "tok-456"},
	} {
		if err := a.Check("receiver"); err != nil {
			t.Errorf("Check(%s): %v", a.Type, err)
		}
	}
}

func TestAuthorizationSecretHeaderNames(t *testing.T) {
	tests := []struct {
		auth Authorization
		want []string
	}{
		{Authorization{Type: "basic", Username: "hooks"}, []string{"Authorization"}},
		{Authorization{Type: "bearer", Token: "tok-456"}, []string{"Authorization"}},
		{Authorization{Type: "api_key", Key: "x-api-key", Value: "k-123"}, []string{"X-Api-Key"}},
	}
	for _, tt := range tests {
		got := tt.auth.SecretHeaders()
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s: SecretHeaders = %v, want %v", tt.auth.Type, got, tt.want)
		}

		// Every header that Apply sets must be listed, so that a
		// delivery log that drops them drops the secret.
		req, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1/hook", nil)
		_ = tt.auth.apply(context.Background(), req)
		for name := range req.Header {
			if !slices.Contains(got, name) {
				t.Errorf("%s: Apply sets header %q that SecretHeaders does not list", tt.auth.Type, name)
			}
		}
	}
}
