package dispatch

import (
	"context"
	"fmt"
	"net/http"
	"net/textproto"
)

// Authorization is a set of credentials that webhooks link to by name, like
// Sitecore's authorization items. The values are already resolved: the
// caddymodule package replaces {env.*} and {file.*} placeholders before it
// hands them over, so the JSON configuration need not contain the secrets.
// No value of an authorization appears in a log line, an error or the
// delivery log.
type Authorization struct {
	// Type is "basic", "digest", "api_key", "bearer",
	// "oauth2_client_credentials" or "oauth2_password".
	Type string `json:"type"`

	// Username and Password are the credentials of basic (RFC 7617),
	// digest (RFC 7616) and the OAuth2 password grant.
	Username string `json:"username,omitempty"`
	Password string `json:"password,omitempty"`

	// Key and Value are the API key: the request carries "Key: Value" as a
	// header, or Key=Value in the query when AddTo is "query".
	Key   string `json:"key,omitempty"`
	Value string `json:"value,omitempty"`

	// AddTo is where the API key goes: "header" (the default) or "query".
	AddTo string `json:"add_to,omitempty"`

	// Token is the bearer token, sent as Authorization: Bearer.
	Token string `json:"token,omitempty"`

	// OAuth2 settings of both grants. The token is fetched once, reused
	// until shortly before it expires, and fetched again once when a
	// receiver responds with 401.
	OAuth2 *OAuth2 `json:"oauth2,omitempty"`

	oauth  *tokenCache
	digest *digestChallenge
}

// OAuth2 holds the settings of the OAuth2 client credentials and password
// grants, named as in Sitecore's authorization items.
type OAuth2 struct {
	// TokenURL is the token endpoint. Default: discovered from Authority.
	TokenURL string `json:"token_url,omitempty"`

	// Authority is the issuer URL or the URL of its OpenID Connect metadata
	// document (.well-known/openid-configuration), from which the token
	// endpoint is read when TokenURL is empty.
	Authority string `json:"authority,omitempty"`

	// ClientID identifies the sidecar to the token endpoint. Required.
	ClientID string `json:"client_id,omitempty"`

	// ClientSecret is the client's secret, sent to the token endpoint
	// only. Default: empty, for clients without a secret.
	ClientSecret string `json:"client_secret,omitempty"`

	// Scopes are requested with the token. Default: none.
	Scopes []string `json:"scopes,omitempty"`

	// HeaderPrefix comes before the token in the Authorization header.
	// Default: "Bearer".
	HeaderPrefix string `json:"header_prefix,omitempty"`

	// EndpointParams are extra form values of the token request, such as
	// an Auth0 "audience".
	EndpointParams map[string]string `json:"endpoint_params,omitempty"`
}

// Check validates the authorization named name and prepares its state.
func (a *Authorization) Check(name string) error {
	switch a.Type {
	case "basic", "digest":
		if a.Username == "" {
			return fmt.Errorf("authorization %q: %s: missing username", name, a.Type)
		}
		if a.Type == "digest" {
			a.digest = &digestChallenge{}
		}
	case "api_key":
		if a.Key == "" {
			return fmt.Errorf("authorization %q: api_key: missing key name", name)
		}
		switch a.AddTo {
		case "", "header":
			if !validHeaderName(a.Key) {
				return fmt.Errorf("authorization %q: api_key: %q is not a valid header name", name, a.Key)
			}
		case "query":
		default:
			return fmt.Errorf("authorization %q: api_key: add_to %q must be header or query", name, a.AddTo)
		}
	case "bearer":
		if a.Token == "" {
			return fmt.Errorf("authorization %q: bearer: missing token", name)
		}
	case "oauth2_client_credentials", "oauth2_password":
		o := a.OAuth2
		if o == nil || o.ClientID == "" {
			return fmt.Errorf("authorization %q: %s: missing client_id", name, a.Type)
		}
		if o.TokenURL == "" && o.Authority == "" {
			return fmt.Errorf("authorization %q: %s: give token_url or authority", name, a.Type)
		}
		for _, u := range []string{o.TokenURL, o.Authority} {
			if u != "" {
				if err := CheckURL(u); err != nil {
					return fmt.Errorf("authorization %q: %s: %v", name, a.Type, err)
				}
			}
		}
		if a.Type == "oauth2_password" && a.Username == "" {
			return fmt.Errorf("authorization %q: oauth2_password: missing username", name)
		}
		a.oauth = newTokenCache(a)
	default:
		return fmt.Errorf("authorization %q: unknown type %q (known: basic, digest, api_key, bearer, oauth2_client_credentials, oauth2_password)", name, a.Type)
	}
	return nil
}

// Apply adds the credentials to a request that is not a webhook call, such
// as the sidecar's own read of the CMS. Digest needs a challenge first, so
// it adds nothing to a first request.
func (a *Authorization) Apply(ctx context.Context, req *http.Request) error {
	return a.apply(ctx, req)
}

// apply adds the credentials to an outgoing request.
func (a *Authorization) apply(ctx context.Context, req *http.Request) error {
	switch a.Type {
	case "basic":
		req.SetBasicAuth(a.Username, a.Password)
	case "digest":
		// The first request of a digest exchange has no credentials, unless
		// an earlier challenge can be reused.
		if v := a.digest.authorize(a, req.Method, req.URL); v != "" {
			req.Header.Set("Authorization", v)
		}
	case "api_key":
		if a.AddTo == "query" {
			q := req.URL.Query()
			q.Set(a.Key, a.Value)
			req.URL.RawQuery = q.Encode()
		} else {
			req.Header.Set(a.Key, a.Value)
		}
	case "bearer":
		req.Header.Set("Authorization", "Bearer "+a.Token)
	case "oauth2_client_credentials", "oauth2_password":
		v, err := a.oauth.header(ctx)
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", v)
	}
	return nil
}

// retryAfter401 returns a request to send once more after a 401 response: with
// digest credentials for the receiver's challenge, or with a fresh OAuth2
// token. It returns nil when another try would not help.
func (a *Authorization) retryAfter401(req *http.Request, resp *http.Response) (*http.Request, error) {
	switch a.Type {
	case "digest":
		if err := a.digest.update(resp.Header.Values("WWW-Authenticate")); err != nil {
			return nil, err
		}
		retry := req.Clone(req.Context())
		retry.Header.Set("Authorization", a.digest.authorize(a, req.Method, req.URL))
		return retry, nil
	case "oauth2_client_credentials", "oauth2_password":
		a.oauth.invalidate(req.Header.Get("Authorization"))
		retry := req.Clone(req.Context())
		v, err := a.oauth.header(req.Context())
		if err != nil {
			return nil, err
		}
		retry.Header.Set("Authorization", v)
		return retry, nil
	}
	return nil, nil
}

// SecretHeaders names the request headers that carry this authorization's
// secret, so that a delivery log can leave them out.
func (a *Authorization) SecretHeaders() []string {
	if a.Type == "api_key" && a.AddTo != "query" {
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
