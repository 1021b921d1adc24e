package dispatch

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
)

const (
	digestUsername = "hooks"
	digestPassword = "pw-Dg4Xe9"
	digestRealm    = "hooks@receiver.example"
	digestOpaque   = "5ccc069c403ebaf9f0171e9517f40e41"
)

// digestServer is a loopback receiver that requires Digest access
// authentication (RFC 7616) with qop=auth. It challenges once per
// algorithm in algorithms, in that order, and checks every response hash.
type digestServer struct {
	server     *httptest.Server
	algorithms []string

	mu         sync.Mutex
	nonce      string
	nonces     int
	lastCount  map[string]uint64 // highest nc seen per nonce
	challenges int
	accepted   []digestRequest
	rejections []string
}

// digestRequest is an accepted request with the parameters of its
// Authorization header.
type digestRequest struct {
	params map[string]string
	body   string
}

func newDigestServer(t *testing.T, algorithms ...string) *digestServer {
	t.Helper()
	ds := &digestServer{algorithms: algorithms, lastCount: map[string]uint64{}}
	ds.rotateNonce()
	ds.server = httptest.NewServer(http.HandlerFunc(ds.serveHTTP))
	t.Cleanup(ds.server.Close)
	return ds
}

// rotateNonce issues a new nonce; requests with the old one get a stale
// challenge.
func (ds *digestServer) rotateNonce() {
	ds.mu.Lock()
	defer ds.mu.Unlock()
	ds.nonces++
	ds.nonce = fmt.Sprintf("nonce-%d-7ypf/xlj9XXwfDPEoM4URrv", ds.nonces)
}

func (ds *digestServer) serveHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	ds.mu.Lock()
	defer ds.mu.Unlock()

	auth := r.Header.Get("Authorization")
	if auth == "" {
		ds.challenge(w, false)
		return
	}
	params, problem := ds.check(r, auth)
	if problem != "" {
		ds.rejections = append(ds.rejections, problem)
		ds.challenge(w, problem == "stale nonce")
		return
	}
	ds.accepted = append(ds.accepted, digestRequest{params: params, body: string(body)})
	w.WriteHeader(http.StatusNoContent)
}

func (ds *digestServer) challenge(w http.ResponseWriter, stale bool) {
	ds.challenges++
	for _, alg := range ds.algorithms {
		v := fmt.Sprintf(`Digest realm="%s", qop="auth, auth-int", algorithm=%s, nonce="%s", opaque="%s"`, digestRealm, alg, ds.nonce, digestOpaque)
		if stale {
			v += ", stale=true"
		}
		w.Header().Add("WWW-Authenticate", v)
	}
	w.WriteHeader(http.StatusUnauthorized)
}

// check verifies a Digest Authorization header as RFC 7616, section 3.4
// defines it, and returns its parameters or what is wrong with it.
func (ds *digestServer) check(r *http.Request, auth string) (map[string]string, string) {
	scheme, rest, _ := strings.Cut(auth, " ")
	if scheme != "Digest" {
		return nil, "scheme " + scheme
	}
	p := splitDigestParams(rest)
	newHash := map[string]func() hash.Hash{"MD5": md5.New, "SHA-256": sha256.New}[p["algorithm"]]
	switch {
	case newHash == nil || !strings.Contains(strings.Join(ds.algorithms, " "), p["algorithm"]):
		return nil, "algorithm " + p["algorithm"]
	case p["username"] != digestUsername || p["realm"] != digestRealm || p["opaque"] != digestOpaque:
		return nil, "username, realm or opaque"
	case p["uri"] != r.URL.RequestURI():
		return nil, fmt.Sprintf("uri %q for request target %q", p["uri"], r.URL.RequestURI())
	case p["qop"] != "auth" || p["cnonce"] == "" || len(p["nc"]) != 8:
		return nil, fmt.Sprintf("qop %q, nc %q, cnonce %q", p["qop"], p["nc"], p["cnonce"])
	case p["nonce"] != ds.nonce:
		return nil, "stale nonce"
	}
	nc, err := strconv.ParseUint(p["nc"], 16, 32)
	if err != nil || nc <= ds.lastCount[p["nonce"]] {
		return nil, "nonce count " + p["nc"] + " not above the last one"
	}
	want := digestResponse(newHash, digestUsername, digestRealm, digestPassword, r.Method, p["uri"], p["nonce"], p["nc"], p["cnonce"])
	if p["response"] != want {
		return nil, "response hash"
	}
	ds.lastCount[p["nonce"]] = nc
	return p, ""
}

// digestResponse computes the response of RFC 7616, section 3.4.1, for
// qop=auth.
func digestResponse(newHash func() hash.Hash, username, realm, password, method, uri, nonce, nc, cnonce string) string {
	h := func(s string) string {
		sum := newHash()
		sum.Write([]byte(s))
		return hex.EncodeToString(sum.Sum(nil))
	}
	ha1 := h(username + ":" + realm + ":" + password)
	ha2 := h(method + ":" + uri)
	return h(strings.Join([]string{ha1, nonce, nc, cnonce, "auth", ha2}, ":"))
}

// TestDigestResponseRFCExample checks the test server's arithmetic against
// the example of RFC 7616, section 3.9.1.
func TestDigestResponseRFCExample(t *testing.T) {
	tests := []struct {
		name    string
		newHash func() hash.Hash
		want    string
	}{
		{"MD5", md5.New, "8ca523f5e9506fed4657c9700eebdbec"},
		{"SHA-256", sha256.New, "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"},
	}
	for _, tt := range tests {
		got := digestResponse(tt.newHash, "Mufasa", "http-auth@example.org", "Circle of Life", "GET", "/dir/index.html",
			"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", "00000001", "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ")
		if got != tt.want {
			t.Errorf("%s response = %s, want %s", tt.name, got, tt.want)
		}
	}
}

// splitDigestParams reads the name=value pairs of a Digest header, values
// quoted or not.
func splitDigestParams(s string) map[string]string {
	out := map[string]string{}
	for _, part := range splitOutsideQuotes(s) {
		name, value, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			continue
		}
		if unquoted, err := strconv.Unquote(value); err == nil {
			value = unquoted
		}
		out[strings.ToLower(name)] = value
	}
	return out
}

func splitOutsideQuotes(s string) []string {
	var parts []string
	quoted, start := false, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '"':
			quoted = !quoted
		case ',':
			if !quoted {
				parts = append(parts, s[start:i])
				start = i + 1
			}
		}
	}
	return append(parts, s[start:])
}

func (ds *digestServer) state() (challenges int, accepted []digestRequest, rejections []string) {
	ds.mu.Lock()
	defer ds.mu.Unlock()
	return ds.challenges, append([]digestRequest(nil), ds.accepted...), append([]string(nil), ds.rejections...)
}

func digestWebhook(t *testing.T, url string) *Webhook {
	t.Helper()
	a := &Authorization{Type: "digest", Username: digestUsername, Password: digestPassword}
	if err := a.Check("receiver"); err != nil {
		t.Fatalf("Check: %v", err)
	}
	return eventHandler(t, url, func(wh *Webhook) { wh.Authorization = "receiver" }, map[string]*Authorization{"receiver": a})
}

// TestDigestChallengeThenReuse pins that the first delivery responds to one
// challenge and the next reuses it with the nonce count raised, so a
// receiver sees one 401 in all.
func TestDigestChallengeThenReuse(t *testing.T) {
	tests := []struct {
		name       string
		algorithms []string
		want       string
	}{
		{"MD5", []string{"MD5"}, "MD5"},
		{"SHA-256", []string{"SHA-256"}, "SHA-256"},
		{"SHA-256 preferred over MD5", []string{"SHA-256", "MD5"}, "SHA-256"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ds := newDigestServer(t, tt.algorithms...)
			wh := digestWebhook(t, ds.server.URL+"/hooks?source=cms")
			logger, logs := observedLogger()
			d := mustNew(t, Config{Workers: 1, Logger: logger, Retry: RetryPolicy{MaxAttempts: 1}})
			bodies := []string{`{"Seq":1}`, `{"Seq":2}`}
			var dels []*Delivery
			for _, body := range bodies {
				del := NewDelivery(wh, EventItemSaved, "item-1", []byte(body))
				dels = append(dels, del)
				if err := d.Enqueue(del); err != nil {
					t.Fatalf("Enqueue: %v", err)
				}
			}
			drain(t, d)

			challenges, accepted, rejections := ds.state()
			if challenges != 1 || len(rejections) != 0 {
				t.Errorf("receiver sent %d challenges and rejected %v, want 1 challenge and no rejection", challenges, rejections)
			}
			if len(accepted) != 2 {
				t.Fatalf("receiver accepted %d requests, want 2", len(accepted))
			}
			for i, req := range accepted {
				if req.params["algorithm"] != tt.want || req.params["nc"] != fmt.Sprintf("%08x", i+1) || req.body != bodies[i] {
					t.Errorf("request %d: algorithm %s, nc %s, body %s; want %s, %08x, %s",
						i+1, req.params["algorithm"], req.params["nc"], req.body, tt.want, i+1, bodies[i])
				}
			}
			for _, del := range dels {
				rec, err := d.Get(del.ID)
				if err != nil {
					t.Fatalf("Get: %v", err)
				}
				if rec.State != StateDelivered || len(rec.Attempts) != 1 || rec.Attempts[0].Status != http.StatusNoContent {
					t.Errorf("delivery %s: %s with %d attempts, want delivered at the first attempt", del.ID, rec.State, len(rec.Attempts))
				}
				record, _ := json.Marshal(rec)
				checkNoSecrets(t, "the delivery record", string(record), digestPassword)
			}
			checkNoSecrets(t, "the log", logText(logs), digestPassword)
		})
	}
}

func TestDigestStaleNonceAnsweredOnce(t *testing.T) {
	ds := newDigestServer(t, "SHA-256")
	wh := digestWebhook(t, ds.server.URL+"/hooks")
	d := mustNew(t, Config{Workers: 1, Retry: RetryPolicy{MaxAttempts: 1}})
	first := NewDelivery(wh, EventItemSaved, "item-1", []byte(`{"Seq":1}`))
	if err := d.Enqueue(first); err != nil {
		t.Fatalf("Enqueue: %v", err)
	}
	waitForDelivery(t, d, first.ID, StateDelivered)

	ds.rotateNonce()
	second := NewDelivery(wh, EventItemSaved, "item-1", []byte(`{"Seq":2}`))
	if err := d.Enqueue(second); err != nil {
		t.Fatalf("Enqueue: %v", err)
	}
	drain(t, d)

	challenges, accepted, rejections := ds.state()
	if challenges != 2 || len(rejections) != 1 || rejections[0] != "stale nonce" {
		t.Errorf("receiver sent %d challenges and rejected %v, want 2 and one stale nonce", challenges, rejections)
	}
	if len(accepted) != 2 {
		t.Fatalf("receiver accepted %d requests, want 2", len(accepted))
	}
	if p := accepted[1].params; p["nonce"] != "nonce-2-7ypf/xlj9XXwfDPEoM4URrv" || p["nc"] != "00000001" {
		t.Errorf("after the stale challenge: nonce %s, nc %s; want the new nonce and nc 00000001", p["nonce"], p["nc"])
	}
	if rec, _ := d.Get(second.ID); rec.State != StateDelivered || len(rec.Attempts) != 1 {
		t.Errorf("second delivery %s with %d attempts, want delivered at the first attempt", rec.State, len(rec.Attempts))
	}
}
