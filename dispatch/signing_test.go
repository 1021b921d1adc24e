package dispatch

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// A Standard Webhooks 1.0 test vector with a made-up secret. The official Go
// library (github.com/standard-webhooks/standard-webhooks/libraries v1.3.0)
// computes the same signature.
const (
	vectorSecret    = "whsec_jxwtPkpbbH2On6CxwtPk9QYXKDlKW2x9jp+gscLT5PU="
	vectorID        = "evt_0c9f6a2e41b7"
	vectorTimestamp = 1767225600
	vectorBody      = `{"EventName":"item:renamed","OldName":"draft"}`
	vectorSignature = "v1,lkQAhjinmUFLQU72QKuaNzlFA4WyD9ogS+Exy49qfGs="
)

// rotatedSecret is a second secret, 24 random bytes, as during a rotation.
const rotatedSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

// signedHandler returns a prepared event handler with the given signing
// secrets.
func signedHandler(t *testing.T, url string, secrets ...string) *Webhook {
	t.Helper()
	return eventHandler(t, url, func(wh *Webhook) { wh.SigningSecrets = secrets }, nil)
}

// verifyStandardWebhook checks a request the way a receiver following
// Standard Webhooks 1.0 does: it signs "id.timestamp.body" with the decoded
// secret and accepts the request when any "v1," signature matches.
func verifyStandardWebhook(t *testing.T, secret string, header http.Header, body []byte) bool {
	t.Helper()
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		t.Fatalf("test secret: %v", err)
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(header.Get("webhook-id") + "." + header.Get("webhook-timestamp") + "."))
	mac.Write(body)
	want := "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
	for _, sig := range strings.Split(header.Get("webhook-signature"), " ") {
		if hmac.Equal([]byte(sig), []byte(want)) {
			return true
		}
	}
	return false
}

func TestSigningSpecTestVector(t *testing.T) {
	wh := signedHandler(t, "http://127.0.0.1:1/hooks", vectorSecret)

	ts, sig := signHeaders(wh.keys, vectorID, time.Unix(vectorTimestamp, 0), []byte(vectorBody))

	if ts != "1767225600" {
		t.Errorf("webhook-timestamp = %q, want 1767225600", ts)
	}
	if sig != vectorSignature {
		t.Errorf("webhook-signature = %q, want %q", sig, vectorSignature)
	}
}

func TestSigningTwoSecretsTwoSignatures(t *testing.T) {
	wh := signedHandler(t, "http://127.0.0.1:1/hooks", vectorSecret, rotatedSecret)

	_, sig := signHeaders(wh.keys, vectorID, time.Unix(vectorTimestamp, 0), []byte(vectorBody))

	parts := strings.Split(sig, " ")
	if len(parts) != 2 {
		t.Fatalf("webhook-signature = %q, want two space-separated signatures", sig)
	}
	if parts[0] != vectorSignature {
		t.Errorf("first signature = %q, want the spec vector's %q", parts[0], vectorSignature)
	}
	for i, secret := range []string{vectorSecret, rotatedSecret} {
		header := http.Header{}
		header.Set("webhook-id", vectorID)
		header.Set("webhook-timestamp", "1767225600")
		header.Set("webhook-signature", parts[i])
		if !verifyStandardWebhook(t, secret, header, []byte(vectorBody)) {
			t.Errorf("signature %d %q does not verify with secret %d", i+1, parts[i], i+1)
		}
	}
}

func TestSignedDeliveryVerifiesAtReceiver(t *testing.T) {
	rc := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if n == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	wh := signedHandler(t, rc.server.URL, vectorSecret, rotatedSecret)
	d := mustNew(t, Config{Retry: RetryPolicy{MaxAttempts: 3, InitialBackoff: 10 * time.Millisecond}})
	body := []byte(`{"EventName":"item:saved","Item":{"Name":"Spring <sale> & \"more\""},"Note":"ünïcödé"}`)
	del := NewDelivery(wh, EventItemSaved, "item-1", body)
	before := time.Now()
	if err := d.Enqueue(del); err != nil {
		t.Fatalf("Enqueue: %v", err)
	}
	drain(t, d)

	reqs := rc.received()
	if len(reqs) != 2 {
		t.Fatalf("receiver got %d requests, want 2 (503, then success)", len(reqs))
	}
	for i, req := range reqs {
		if id := req.header.Get("webhook-id"); id != del.ID {
			t.Errorf("attempt %d: webhook-id = %q, want %q", i+1, id, del.ID)
		}
		ts, err := strconv.ParseInt(req.header.Get("webhook-timestamp"), 10, 64)
		if err != nil || ts < before.Unix() || ts > time.Now().Unix() {
			t.Errorf("attempt %d: webhook-timestamp = %q, want the Unix seconds of the attempt", i+1, req.header.Get("webhook-timestamp"))
		}
		for _, secret := range []string{vectorSecret, rotatedSecret} {
			if !verifyStandardWebhook(t, secret, req.header, req.body) {
				t.Errorf("attempt %d: signature %q does not verify with secret %s...", i+1, req.header.Get("webhook-signature"), secret[:10])
			}
		}
	}
}

func TestUnsignedDeliveryOmitsSignature(t *testing.T) {
	rc := newReceiver(t, nil)
	wh := eventHandler(t, rc.server.URL, nil, nil)
	d := mustNew(t, Config{})
	del := NewDelivery(wh, EventItemSaved, "item-1", []byte(`{}`))
	if err := d.Enqueue(del); err != nil {
		t.Fatalf("Enqueue: %v", err)
	}
	drain(t, d)

	reqs := rc.received()
	if len(reqs) != 1 {
		t.Fatalf("receiver got %d requests, want 1", len(reqs))
	}
	h := reqs[0].header
	if h.Get("webhook-id") != del.ID || h.Get("webhook-timestamp") != "" || h.Get("webhook-signature") != "" {
		t.Errorf("headers id %q, timestamp %q, signature %q; want only webhook-id %q",
			h.Get("webhook-id"), h.Get("webhook-timestamp"), h.Get("webhook-signature"), del.ID)
	}
}

func TestPrepareRejectsBadSigningSecrets(t *testing.T) {
	key := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(7*i + 3)
		}
		return base64.StdEncoding.EncodeToString(b)
	}
	tests := []struct {
		name     string
		secret   string
		wantText string
	}{
		{"no whsec prefix", key(32), `"whsec_"`},
		{"other prefix", "whsk_" + key(32), `"whsec_"`},
		{"not base64", "whsec_not*base64*at*all!", "base64"},
		// 24 bytes of 0xff are "////..." in standard base64, "____..." in the URL alphabet.
		{"url-safe base64", "whsec_" + strings.Repeat("_", 32), "base64"},
		{"empty key", "whsec_", "24 to 64 bytes"},
		{"23 bytes", "whsec_" + key(23), "24 to 64 bytes"},
		{"65 bytes", "whsec_" + key(65), "24 to 64 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wh := &Webhook{Name: "search", URL: "http://127.0.0.1:1/hooks", Events: []string{EventItemSaved},
				SigningSecrets: []string{vectorSecret, tt.secret}}

			err := wh.Prepare(KindEventHandler, nil)

			if err == nil {
				t.Fatal("Prepare = nil, want an error")
			}
			for _, text := range []string{tt.wantText, `"search"`, "signing secret 2"} {
				if !strings.Contains(err.Error(), text) {
					t.Errorf("error %q does not mention %s", err, text)
				}
			}
			for _, secret := range []string{tt.secret, strings.TrimPrefix(tt.secret, "whsec_"), vectorSecret} {
				if len(secret) > 6 && strings.Contains(err.Error(), secret) {
					t.Errorf("error %q contains the secret %q", err, secret)
				}
			}
		})
	}
}

func TestPrepareAcceptsSecretSizeBounds(t *testing.T) {
	for _, n := range []int{24, 64} {
		secret := "whsec_" + base64.StdEncoding.EncodeToString(make([]byte, n))
		wh := &Webhook{Name: "search", URL: "http://127.0.0.1:1/hooks", Events: []string{EventItemSaved}, SigningSecrets: []string{secret}}
		if err := wh.Prepare(KindEventHandler, nil); err != nil {
			t.Errorf("Prepare with a %d-byte secret: %v", n, err)
		}
	}
}
