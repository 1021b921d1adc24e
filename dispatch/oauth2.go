package dispatch

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// tokenCache fetches OAuth2 tokens and reuses one until shortly before it
// expires (golang.org/x/oauth2 treats a token as expired 10 s early).
type tokenCache struct {
	auth   *Authorization
	client *http.Client

	mu       sync.Mutex
	token    *oauth2.Token
	tokenURL string
}

func newTokenCache(a *Authorization) *tokenCache {
	return &tokenCache{auth: a, client: &http.Client{Timeout: 10 * time.Second}}
}

// header returns the Authorization header value with a valid token.
func (c *tokenCache) header(ctx context.Context) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.token.Valid() {
		tok, err := c.fetch(ctx)
		if err != nil {
			return "", err
		}
		c.token = tok
	}
	prefix := c.auth.OAuth2.HeaderPrefix
	if prefix == "" {
		prefix = "Bearer"
	}
	return prefix + " " + c.token.AccessToken, nil
}

// invalidate drops the cached token when it is the one a receiver rejected
// in the header value sent. Another request may have replaced it already.
func (c *tokenCache) invalidate(sent string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token != nil && strings.HasSuffix(sent, " "+c.token.AccessToken) {
		c.token = nil
	}
}

func (c *tokenCache) fetch(ctx context.Context) (*oauth2.Token, error) {
	o := c.auth.OAuth2
	tokenURL, err := c.endpoint(ctx)
	if err != nil {
		return nil, err
	}
	ctx = context.WithValue(ctx, oauth2.HTTPClient, c.client)
	params := url.Values{}
	for k, v := range o.EndpointParams {
		params.Set(k, v)
	}

	if c.auth.Type == "oauth2_password" {
		// The client credentials request with grant_type replaced is the
		// password grant of RFC 6749, section 4.3, and unlike
		// oauth2.Config.PasswordCredentialsToken it sends the extra
		// endpoint parameters too.
		params.Set("grant_type", "password")
		params.Set("username", c.auth.Username)
		params.Set("password", c.auth.Password)
	}
	cfg := &clientcredentials.Config{ClientID: o.ClientID, ClientSecret: o.ClientSecret, TokenURL: tokenURL,
		Scopes: o.Scopes, EndpointParams: params}
	tok, err := cfg.Token(ctx)
	if err != nil {
		return nil, fmt.Errorf("fetching OAuth2 token from %s: %v", tokenURL, scrubTokenError(err))
	}
	return tok, nil
}

// endpoint returns the token URL, reading it once from the OpenID Connect
// metadata of the authority when it is not configured.
func (c *tokenCache) endpoint(ctx context.Context) (string, error) {
	o := c.auth.OAuth2
	if o.TokenURL != "" {
		return o.TokenURL, nil
	}
	if c.tokenURL != "" {
		return c.tokenURL, nil
	}
	meta := o.Authority
	if !strings.Contains(meta, "/.well-known/") {
		meta = strings.TrimRight(meta, "/") + "/.well-known/openid-configuration"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, meta, nil)
	if err != nil {
		return "", fmt.Errorf("OAuth2 authority %s: %v", meta, err)
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return "", fmt.Errorf("reading OAuth2 metadata %s: %v", meta, redactURLError(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("reading OAuth2 metadata %s: status %d", meta, resp.StatusCode)
	}
	var doc struct {
		TokenEndpoint string `json:"token_endpoint"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&doc); err != nil || doc.TokenEndpoint == "" {
		return "", fmt.Errorf("OAuth2 metadata %s has no token_endpoint", meta)
	}
	c.tokenURL = doc.TokenEndpoint
	return c.tokenURL, nil
}

// scrubTokenError keeps the status of a failed token request but drops the
// response body, which may echo the client secret or carry tokens.
func scrubTokenError(err error) error {
	if re, ok := err.(*oauth2.RetrieveError); ok {
		if re.ErrorCode != "" {
			return fmt.Errorf("status %d, error %q", re.Response.StatusCode, re.ErrorCode)
		}
		return fmt.Errorf("status %d", re.Response.StatusCode)
	}
	return redactURLError(err)
}
