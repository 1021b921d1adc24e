package dispatch

import (
	"fmt"
	"net/http"
	"net/textproto"
)

// Authorization is a set of credentials that webhooks link to by name, like
// Sitecore's authorization items. The values are already resolved: the
// caddymodule package replaces {env.*} and {file.*} placeholders before it
// hands them over, so the JSON configuration need not contain the secrets.
type Authorization struct {
	// Type is "basic", "api_key" or "bearer".
	Type string `json:"type"`

	// Username and Password are the basic credentials, sent as
	// Authorization: Basic (RFC 7617).
	Username string `json:"username,omitempty"`
	Password string `json:"password,omitempty"`

	// Key and Value are the API key: the request carries the header
	// "Key: Value".
	Key   string `json:"key,omitempty"`
	Value string `json:"value,omitempty"`

	// Token is the bearer token, sent as Authorization: Bearer.
	Token string `json:"token,omitempty"`
}

// Check validates the authorization named name.
func (a *Authorization) Check(name string) error {
	switch a.Type {
	case "basic":
		if a.Username == "" {
			return fmt.Errorf("authorization %q: basic: missing username", name)
		}
	case "api_key":
		if a.Key == "" {
			return fmt.Errorf("authorization %q: api_key: missing header name", name)
		}
		if !validHeaderName(a.Key) {
			return fmt.Errorf("authorization %q: api_key: %q is not a valid header name", name, a.Key)
		}
	case "bearer":
		if a.Token == "" {
			return fmt.Errorf("authorization %q: bearer: missing token", name)
		}
	default:
		return fmt.Errorf("authorization %q: unknown type %q (known: basic, api_key, bearer)", name, a.Type)
	}
	return nil
}

// Apply adds the credentials to an outgoing request.
func (a *Authorization) Apply(req *http.Request) {
	switch a.Type {
	case "basic":
		req.SetBasicAuth(a.Username, a.Password)
	case "api_key":
		req.Header.Set(a.Key, a.Value)
	case "bearer":
		req.Header.Set("Authorization", "Bearer "+a.Token)
	}
}

// SecretHeaders names the request headers that carry this authorization's
// secret, so that a delivery log can leave them out.
func (a *Authorization) SecretHeaders() []string {
	if a.Type == "api_key" {
		return []string{textproto.CanonicalMIMEHeaderKey(a.Key)}
	}
	return []string{"Authorization"}
}

func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		ok := c == '!' || c == '#' || c == '$' || c == '%' || c == '&' || c == '\'' || c == '*' ||
			c == '+' || c == '-' || c == '.' || c == '^' || c == '_' || c == '`' || c == '|' || c == '~' ||
			(c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
		if !ok {
			return false
		}
	}
	return true
}
