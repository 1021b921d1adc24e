package dispatch

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	oauthClientID     = "sidecar"
	oauthClientSecret = "cs-Q8vPz1"
	oauthUsername     = "hooks-user"
	oauthPassword     = "pw-R5tYw2"
)

// tokenServer is a loopback OAuth2 authorization server. It serves OpenID
// Connect metadata under any path ending in
// /.well-known/openid-configuration and issues tokens tok-1, tok-2, ... at
// /oauth/token, valid for expiresIn seconds.
type tokenServer struct {
	server    *httptest.Server
	expiresIn int

	// failFrom makes the token requests from this number on fail with 400
	// invalid_client and an error description that echoes the secrets.
	// Zero never fails.
	failFrom int

	mu           sync.Mutex
	forms        []url.Values
	metadataHits int
}

func newTokenServer(t *testing.T, expiresIn int) *tokenServer {
	t.Helper()
	ts := &tokenServer{expiresIn: expiresIn}
	ts.server = httptest.NewServer(http.HandlerFunc(ts.serveHTTP))
	t.Cleanup(ts.server.Close)
	return ts
}

func (ts *tokenServer) serveHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	switch {
	case r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/.well-known/openid-configuration"):
		ts.mu.Lock()
		ts.metadataHits++
		ts.mu.Unlock()
		_ = json.NewEncoder(w).Encode(map[string]string{
			"issuer":         ts.server.URL + strings.TrimSuffix(r.URL.Path, "/.well-known/openid-configuration"),
			"token_endpoint": ts.server.URL + "/oauth/token",
		})
	case r.Method == http.MethodPost && r.URL.Path == "/oauth/token":
		ts.issue(w, r)
	default:
		http.NotFound(w, r)
	}
}

func (ts *tokenServer) issue(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	form := r.PostForm
	// RFC 6749, section 2.3.1: the client authenticates with HTTP Basic
	// or with form parameters.
	if id, secret, ok := r.BasicAuth(); ok {
		form.Set("client_id", id)
		form.Set("client_secret", secret)
	}
	ts.mu.Lock()
	ts.forms = append(ts.forms, form)
	n := len(ts.forms)
	ts.mu.Unlock()

	if (ts.failFrom > 0 && n >= ts.failFrom) || form.Get("client_secret") != oauthClientSecret {
		w.WriteHeader(http.StatusBadRequest)
		_ = json.NewEncoder(w).Encode(map[string]string{
			"error":             "invalid_client",
			"error_description": fmt.Sprintf("client %s with secret %s and password %s rejected; last token tok-1", oauthClientID, oauthClientSecret, oauthPassword),
		})
		return
	}
	_ = json.NewEncoder(w).Encode(map[string]any{
		"access_token": fmt.Sprintf("tok-%d", n),
		"token_type":   "Bearer",
		"expires_in":   ts.expiresIn,
	})
}

func (ts *tokenServer) tokenRequests() []url.Values {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return append([]url.Values(nil), ts.forms...)
}

func (ts *tokenServer) metadataRequests() int {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.metadataHits
}

// oauthWebhook returns an event handler posting to url with an OAuth2
// authorization of the given grant type, which configure may change
// before it is checked.
func oauthWebhook(t *testing.T, url, grant string, ts *tokenServer, configure func(*Authorization)) *Webhook {
	t.Helper()
	a := &Authorization{Type: grant, OAuth2: &OAuth2{
		TokenURL:     ts.server.URL + "/oauth/token",
		ClientID:     oauthClientID,
		ClientSecret: oauthClientSecret,
		Scopes:       []string{"hooks.write", "hooks.read"},
	}}
	if grant == "oauth2_password" {
		a.Username, a.Password = oauthUsername, oauthPassword
	}
	if configure != nil {
		configure(a)
	}
	if err := a.Check("receiver"); err != nil {
		t.Fatalf("Check: %v", err)
	}
	return eventHandler(t, url, func(wh *Webhook) { wh.Authorization = "receiver" }, map[string]*Authorization{"receiver": a})
}

// deliverOne enqueues one delivery and waits until the receiver has seen
// want requests in all.
func deliverOne(t *testing.T, d *Dispatcher, wh *Webhook, rc *receiver, want int) *Delivery {
	t.Helper()
	del := NewDelivery(wh, EventItemSaved, "item-1", []byte(`{}`))
	if err := d.Enqueue(del); err != nil {
		t.Fatalf("Enqueue: %v", err)
	}
	waitUntil(t, fmt.Sprintf("%d requests at the receiver", want), func() bool { return len(rc.received()) >= want })
	return del
}

func authorizationHeaders(rc *receiver) []string {
	var out []string
	for _, req := range rc.received() {
		out = append(out, req.header.Get("Authorization"))
	}
	return out
}

func TestOAuth2TokenFetchedOnceReused(t *testing.T) {
	ts := newTokenServer(t, 3600)
	rc := newReceiver(t, nil)
	wh := oauthWebhook(t, rc.server.URL, "oauth2_client_credentials", ts, nil)
	logger, logs := observedLogger()
	d := mustNew(t, Config{Workers: 4, Logger: logger})
	var dels []*Delivery
	for i := range 5 {
		del := NewDelivery(wh, EventItemSaved, fmt.Sprintf("item-%d", i), []byte(`{}`))
		dels = append(dels, del)
		if err := d.Enqueue(del); err != nil {
			t.Fatalf("Enqueue: %v", err)
		}
	}
	drain(t, d)

	if n := len(ts.tokenRequests()); n != 1 {
		t.Errorf("%d token requests for 5 deliveries, want 1", n)
	}
	for i, got := range authorizationHeaders(rc) {
		if got != "Bearer tok-1" {
			t.Errorf("request %d: Authorization = %q, want Bearer tok-1", i+1, got)
		}
	}
	for _, del := range dels {
		rec, _ := d.Get(del.ID)
		record, _ := json.Marshal(rec)
		checkNoSecrets(t, "the delivery record", string(record), "tok-1", oauthClientSecret)
	}
	checkNoSecrets(t, "the log", logText(logs), "tok-1", oauthClientSecret)
}

func TestOAuth2TokenRequestForm(t *testing.T) {
	tests := []struct {
		grant  string
		prefix string
		want   map[string]string
	}{
		{
			grant: "oauth2_client_credentials",
			want: map[string]string{
				"grant_type": "client_credentials", "scope": "hooks.write hooks.read", "audience": "https://hooks.example/api",
				"client_id": oauthClientID, "client_secret": oauthClientSecret, "username": "", "password": "",
			},
		},
		{
			grant:  "oauth2_password",
			prefix: "SSWS",
			want: map[string]string{
				"grant_type": "password", "username": oauthUsername, "password": oauthPassword,
				"scope": "hooks.write hooks.read", "audience": "https://hooks.example/api",
				"client_id": oauthClientID, "client_secret": oauthClientSecret,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.grant, func(t *testing.T) {
			ts := newTokenServer(t, 3600)
			rc := newReceiver(t, nil)
			wh := oauthWebhook(t, rc.server.URL, tt.grant, ts, func(a *Authorization) {
				a.OAuth2.EndpointParams = map[string]string{"audience": "https://hooks.example/api"}
				a.OAuth2.HeaderPrefix = tt.prefix
			})
			d := mustNew(t, Config{})
			deliverOne(t, d, wh, rc, 1)
			drain(t, d)

			forms := ts.tokenRequests()
			if len(forms) != 1 {
				t.Fatalf("%d token requests, want 1", len(forms))
			}
			for name, want := range tt.want {
				if got := forms[0].Get(name); got != want {
					t.Errorf("token request %s = %q, want %q", name, got, want)
				}
			}
			prefix := tt.prefix
			if prefix == "" {
				prefix = "Bearer"
			}
			if got := authorizationHeaders(rc); len(got) != 1 || got[0] != prefix+" tok-1" {
				t.Errorf("receiver Authorization = %q, want %q", got, prefix+" tok-1")
			}
		})
	}
}

// TestOAuth2TokenRefreshedAfterExpiry relies on golang.org/x/oauth2 taking
// a token for expired 10s before its expiry: a token issued with
// expires_in 11 is good for one second.
func TestOAuth2TokenRefreshedAfterExpiry(t *testing.T) {
	ts := newTokenServer(t, 11)
	rc := newReceiver(t, nil)
	wh := oauthWebhook(t, rc.server.URL, "oauth2_client_credentials", ts, nil)
	d := mustNew(t, Config{Workers: 1})

	deliverOne(t, d, wh, rc, 1)
	fetched := time.Now()
	deliverOne(t, d, wh, rc, 2)
	time.Sleep(time.Until(fetched.Add(1200 * time.Millisecond)))
	deliverOne(t, d, wh, rc, 3)
	drain(t, d)

	want := []string{"Bearer tok-1", "Bearer tok-1", "Bearer tok-2"}
	if got := authorizationHeaders(rc); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("receiver Authorization headers = %q, want %q", got, want)
	}
	if n := len(ts.tokenRequests()); n != 2 {
		t.Errorf("%d token requests, want 2", n)
	}
}

func TestOAuth2RejectedTokenFetchedAgain(t *testing.T) {
	tests := []struct {
		name      string
		rejectAll bool
		wantState DeliveryState
		wantAuth  []string
	}{
		{name: "new token accepted", wantState: StateDelivered, wantAuth: []string{"Bearer tok-1", "Bearer tok-2"}},
		{name: "new token rejected too", rejectAll: true, wantState: StateDead, wantAuth: []string{"Bearer tok-1", "Bearer tok-2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := newTokenServer(t, 3600)
			rc := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) {
				if tt.rejectAll || r.Header.Get("Authorization") == "Bearer tok-1" {
					w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
					w.WriteHeader(http.StatusUnauthorized)
					return
				}
				w.WriteHeader(http.StatusNoContent)
			})
			wh := oauthWebhook(t, rc.server.URL, "oauth2_client_credentials", ts, nil)
			d := mustNew(t, Config{Retry: RetryPolicy{MaxAttempts: 1}})
			del := deliverOne(t, d, wh, rc, 1)
			drain(t, d)

			if got := authorizationHeaders(rc); strings.Join(got, ",") != strings.Join(tt.wantAuth, ",") {
				t.Errorf("receiver Authorization headers = %q, want %q", got, tt.wantAuth)
			}
			if n := len(ts.tokenRequests()); n != 2 {
				t.Errorf("%d token requests, want 2", n)
			}
			rec, err := d.Get(del.ID)
			if err != nil {
				t.Fatalf("Get: %v", err)
			}
			if rec.State != tt.wantState || len(rec.Attempts) != 1 {
				t.Errorf("delivery %s with %d attempts, want %s with 1", rec.State, len(rec.Attempts), tt.wantState)
			}
		})
	}
}

func TestOAuth2DiscoversTokenEndpoint(t *testing.T) {
	tests := []struct {
		name      string
		authority func(base string) string
	}{
		{"issuer url", func(base string) string { return base }},
		{"issuer url with slash", func(base string) string { return base + "/" }},
		{"issuer url with path", func(base string) string { return base + "/tenant-1/v2.0" }},
		{"metadata url", func(base string) string { return base + "/tenant-1/v2.0/.well-known/openid-configuration" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Tokens that expire at once make every delivery fetch one.
			ts := newTokenServer(t, 10)
			rc := newReceiver(t, nil)
			wh := oauthWebhook(t, rc.server.URL, "oauth2_client_credentials", ts, func(a *Authorization) {
				a.OAuth2.TokenURL = ""
				a.OAuth2.Authority = tt.authority(ts.server.URL)
			})
			d := mustNew(t, Config{Workers: 1})
			deliverOne(t, d, wh, rc, 1)
			deliverOne(t, d, wh, rc, 2)
			drain(t, d)

			want := []string{"Bearer tok-1", "Bearer tok-2"}
			if got := authorizationHeaders(rc); strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("receiver Authorization headers = %q, want %q", got, want)
			}
			if n := ts.metadataRequests(); n != 1 {
				t.Errorf("%d metadata requests for two token requests, want 1", n)
			}
		})
	}
}

// TestOAuth2FailureHidesSecrets pins that a token server's error, even one
// that echoes the credentials, leaves no secret in the log, the delivery
// record or its error.
func TestOAuth2FailureHidesSecrets(t *testing.T) {
	tests := []struct {
		name     string
		grant    string
		failFrom int
	}{
		{"client credentials rejected", "oauth2_client_credentials", 1},
		{"password grant rejected", "oauth2_password", 1},
		{"refetch after 401 rejected", "oauth2_password", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := newTokenServer(t, 3600)
			ts.failFrom = tt.failFrom
			rc := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusUnauthorized)
			})
			wh := oauthWebhook(t, rc.server.URL, tt.grant, ts, nil)
			logger, logs := observedLogger()
			d := mustNew(t, Config{Logger: logger, Retry: RetryPolicy{MaxAttempts: 1}})
			del := NewDelivery(wh, EventItemSaved, "item-1", []byte(`{}`))
			if err := d.Enqueue(del); err != nil {
				t.Fatalf("Enqueue: %v", err)
			}
			drain(t, d)

			rec, err := d.Get(del.ID)
			if err != nil {
				t.Fatalf("Get: %v", err)
			}
			if rec.State != StateDead || len(rec.Attempts) != 1 {
				t.Fatalf("delivery %s with %d attempts, want dead after 1", rec.State, len(rec.Attempts))
			}
			if tt.failFrom == 1 {
				if msg := rec.Attempts[0].Error; !strings.Contains(msg, "400") || !strings.Contains(msg, "invalid_client") {
					t.Errorf("attempt error %q does not give the token server's status 400 and error invalid_client", msg)
				}
			}
			secrets := []string{oauthClientSecret, oauthPassword, "tok-1"}
			record, _ := json.Marshal(rec)
			checkNoSecrets(t, "the delivery record", string(record), secrets...)
			checkNoSecrets(t, "the log", logText(logs), secrets...)
		})
	}
}

// TestOAuth2ConcurrentRejectionsFetchOnce pins that deliveries rejected
// with the same token at the same time share one new token instead of each
// fetching its own.
func TestOAuth2ConcurrentRejectionsFetchOnce(t *testing.T) {
	ts := newTokenServer(t, 3600)
	const deliveries = 4
	var arrived sync.WaitGroup
	arrived.Add(deliveries)
	rc := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "Bearer tok-1" {
			// Hold the first requests until all carry the old token.
			arrived.Done()
			arrived.Wait()
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	wh := oauthWebhook(t, rc.server.URL, "oauth2_client_credentials", ts, nil)
	d := mustNew(t, Config{Workers: deliveries, Retry: RetryPolicy{MaxAttempts: 1}})
	for i := range deliveries {
		if err := d.Enqueue(NewDelivery(wh, EventItemSaved, fmt.Sprintf("item-%d", i), []byte(`{}`))); err != nil {
			t.Fatalf("Enqueue: %v", err)
		}
	}
	drain(t, d)

	if n := len(ts.tokenRequests()); n != 2 {
		t.Errorf("%d token requests, want 2: the first token and one replacement", n)
	}
	retried := 0
	for _, got := range authorizationHeaders(rc) {
		if got == "Bearer tok-2" {
			retried++
		}
	}
	if retried != deliveries {
		t.Errorf("%d requests with the new token, want %d", retried, deliveries)
	}
}
