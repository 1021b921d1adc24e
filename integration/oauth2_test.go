package integration

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// tokenServer is an OAuth2 token endpoint for the client credentials grant
// that issues random tokens and remembers them.
type tokenServer struct {
	srv          *httptest.Server
	clientID     string
	clientSecret string

	mu        sync.Mutex
	expiresIn int
	issued    []string
	revoked   map[string]bool
	failures  []string
}

func newTokenServer(t *testing.T, clientID, clientSecret string) *tokenServer {
	t.Helper()
	ts := &tokenServer{clientID: clientID, clientSecret: clientSecret, expiresIn: 3600, revoked: map[string]bool{}}
	ts.srv = httptest.NewServer(http.HandlerFunc(ts.serveToken))
	t.Cleanup(ts.srv.Close)
	return ts
}

func (ts *tokenServer) serveToken(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	// The client may authenticate with HTTP Basic or with form fields.
	id, secret, ok := r.BasicAuth()
	if !ok {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	ts.mu.Lock()
	defer ts.mu.Unlock()
	switch {
	case r.Method != http.MethodPost || r.PostForm.Get("grant_type") != "client_credentials":
		ts.failures = append(ts.failures, fmt.Sprintf("%s with grant_type %q", r.Method, r.PostForm.Get("grant_type")))
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "unsupported_grant_type"})
		return
	case id != ts.clientID || secret != ts.clientSecret:
		ts.failures = append(ts.failures, fmt.Sprintf("client %q with a wrong secret", id))
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client"})
		return
	case r.PostForm.Get("scope") != "search.write":
		ts.failures = append(ts.failures, fmt.Sprintf("scope %q", r.PostForm.Get("scope")))
	}
	buf := make([]byte, 16)
	_, _ = rand.Read(buf)
	token := "at-" + hex.EncodeToString(buf)
	ts.issued = append(ts.issued, token)
	writeJSON(w, http.StatusOK, map[string]any{"access_token": token, "token_type": "Bearer", "expires_in": ts.expiresIn})
}

// tokens returns the tokens issued so far, in order.
func (ts *tokenServer) tokens() []string {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return append([]string(nil), ts.issued...)
}

func (ts *tokenServer) setExpiresIn(seconds int) {
	ts.mu.Lock()
	ts.expiresIn = seconds
	ts.mu.Unlock()
}

// revoke makes the protected receiver refuse a token from now on.
func (ts *tokenServer) revoke(token string) {
	ts.mu.Lock()
	ts.revoked[token] = true
	ts.mu.Unlock()
}

// accepts reports whether an Authorization header carries a token that
// was issued and not revoked.
func (ts *tokenServer) accepts(header string) bool {
	token, ok := strings.CutPrefix(header, "Bearer ")
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if !ok || ts.revoked[token] {
		return false
	}
	for _, t := range ts.issued {
		if t == token {
			return true
		}
	}
	return false
}

// An OAuth2 token is fetched once and reused, and fetched again when it is
// about to expire. After a 401 from the receiver, a new token is fetched
// and the request sent once more, within the same attempt. The client
// secret, read from an {env.*} placeholder, and the tokens never show in
// Caddy's log or in the admin API.
func TestOAuth2TokenFetchedReusedRefreshed(t *testing.T) {
	w := needWordPress(t)
	secret := "cs-" + strings.Repeat("k9", 12)
	ts := newTokenServer(t, "caddy-sidecar", secret)
	rc := newReceiver(t)
	var rejectAll atomic.Bool
	rc.mu.Lock()
	rc.respond = func(rw http.ResponseWriter, r *http.Request) {
		if rejectAll.Load() || !ts.accepts(r.Header.Get("Authorization")) {
			rw.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
			rw.WriteHeader(http.StatusUnauthorized)
			return
		}
		rw.WriteHeader(http.StatusOK)
	}
	rc.mu.Unlock()
	c := startCaddy(t, caddyOptions{
		env: []string{"CMS_IT_OAUTH_SECRET=" + secret},
		site: sidecarSite(w, fmt.Sprintf(`
authorization search_oauth {
	oauth2_client_credentials {
		token_url %s/oauth/token
		client_id caddy-sidecar
		client_secret {env.CMS_IT_OAUTH_SECRET}
		scopes search.write
	}
}
event_handler oauth_sync {
	events item:saved
	url %s
	authorization search_oauth
}
delivery {
	backoff 100ms 1s
	max_attempts 3
}`, ts.srv.URL, rc.URL("/search"))),
	})
	id := w.create(t, "editor", "posts", map[string]any{"title": "OAuth", "status": "draft"})

	// edit makes one edit and returns the requests its delivery caused.
	edits := 0
	edit := func() []recorded {
		t.Helper()
		edits++
		title := fmt.Sprintf("OAuth edit %d", edits)
		editTitle(t, w, c, id, title)
		rc.waitFor(t, title, func(r recorded) bool { return savedTitle(r) == title && ts.accepts(r.Header.Get("Authorization")) })
		return rc.matching(func(r recorded) bool { return savedTitle(r) == title })
	}

	// golang.org/x/oauth2 treats a token as expired 10 s early
	// (defaultExpiryDelta), so one that expires in 11 s is valid for 1 s.
	ts.setExpiresIn(11)
	edit()
	time.Sleep(1500 * time.Millisecond)
	ts.setExpiresIn(3600)
	if got := edit(); len(got) != 1 {
		t.Errorf("after the short-lived token expired: %d requests, want 1 with a new token", len(got))
	}
	if n := len(ts.tokens()); n != 2 {
		t.Fatalf("%d tokens fetched, want 2: one of 11 s, and a new one after it expired", n)
	}

	for range 3 {
		edit()
	}
	tokens := ts.tokens()
	if len(tokens) != 2 {
		t.Errorf("%d tokens fetched for 3 more deliveries, want the second one reused", len(tokens))
	}
	for _, r := range rc.matching(func(r recorded) bool { return true })[1:] {
		if r.Header.Get("Authorization") != "Bearer "+tokens[1] {
			t.Errorf("delivery %q sent with another token than the second", savedTitle(r))
		}
	}

	ts.revoke(tokens[1])
	got := edit()
	if len(got) != 2 || got[0].Header.Get("Authorization") != "Bearer "+tokens[1] {
		t.Fatalf("after the token was revoked: %d requests, want 2: the revoked token, then a new one", len(got))
	}
	tokens = ts.tokens()
	if len(tokens) != 3 || got[1].Header.Get("Authorization") != "Bearer "+tokens[2] {
		t.Errorf("after the 401: %d tokens fetched, want 3, with the third sent once more", len(tokens))
	}
	del := c.listDeliveries(t, "webhook=oauth_sync&limit=1")
	if len(del) != 1 || del[0].Attempts != 1 || del[0].State != "delivered" {
		t.Errorf("the delivery rejected with 401, then accepted: %+v; want one attempt, delivered", del)
	}

	// A receiver that rejects every token gets each attempt twice: with
	// the cached token, then once with a new one, and no more.
	rejectAll.Store(true)
	editTitle(t, w, c, id, "OAuth rejected")
	dead := c.waitListed(t, "webhook=oauth_sync&state=dead", 1, deliveryWait)
	rejected := rc.matching(func(r recorded) bool { return savedTitle(r) == "OAuth rejected" })
	if dead[0].Attempts != 3 || len(rejected) != 6 {
		t.Errorf("a delivery whose every token is rejected: %d attempts and %d requests, want 3 attempts of 2 requests each", dead[0].Attempts, len(rejected))
	}
	if n := len(ts.tokens()); n != 6 {
		t.Errorf("%d tokens fetched, want 6: 3 before, and one for each of the 3 rejected attempts", n)
	}
	tokens = ts.tokens()

	ts.mu.Lock()
	if len(ts.failures) > 0 {
		t.Errorf("token requests the server refused: %v", ts.failures)
	}
	ts.mu.Unlock()

	// Everything that Caddy logs or shows must be free of the secret and
	// of the tokens.
	outputs := map[string]string{"caddy log": c.log()}
	for _, path := range []string{"/config/", "/cms_webhooks/deliveries?limit=1000"} {
		outputs["admin "+path] = string(c.admin(t, http.MethodGet, path).Body)
	}
	for _, d := range c.listDeliveries(t, "limit=1000") {
		outputs["admin delivery "+d.ID] = string(c.admin(t, http.MethodGet, "/cms_webhooks/deliveries/"+d.ID).Body)
		detail := c.showDelivery(t, d.ID)
		for _, a := range detail.Attempts {
			if h := a.header("Authorization"); h != "[redacted]" {
				t.Errorf("delivery %s attempt %d: Authorization header %q, want [redacted]", d.ID, a.Number, h)
			}
		}
	}
	for where, text := range outputs {
		if strings.Contains(text, secret) {
			t.Errorf("%s contains the client secret", where)
		}
		for i, token := range tokens {
			if strings.Contains(text, token) {
				t.Errorf("%s contains token %d", where, i+1)
			}
		}
	}
	if !strings.Contains(outputs["admin /config/"], "{env.CMS_IT_OAUTH_SECRET}") {
		t.Errorf("the configuration does not keep the placeholder {env.CMS_IT_OAUTH_SECRET}")
	}
}
