package integration

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

// newSigningSecret returns a fresh Standard Webhooks secret: "whsec_" and
// the base64 form of 32 random bytes.
func newSigningSecret(t *testing.T) string {
	t.Helper()
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		t.Fatal(err)
	}
	return "whsec_" + base64.StdEncoding.EncodeToString(key)
}

// verifyStandardSignature checks a webhook-signature header with one
// secret, as the Standard Webhooks specification 1.0.0 describes in
// "Signature scheme" and "Webhook headers"
// (https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md).
// The HMAC-SHA256 key is the base64 part of the secret after "whsec_", and
// the signed content is "<webhook-id>.<webhook-timestamp>.<body>". The
// header lists "v1,<base64 signature>" entries separated by spaces, and one
// match is enough.
func verifyStandardSignature(secret, id, timestamp string, body []byte, header string) error {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return fmt.Errorf("secret is not base64 after whsec_: %v", err)
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + timestamp + "."))
	mac.Write(body)
	want := mac.Sum(nil)
	for _, entry := range strings.Fields(header) {
		version, sig, ok := strings.Cut(entry, ",")
		if !ok || version != "v1" {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(sig)
		if err == nil && hmac.Equal(got, want) {
			return nil
		}
	}
	return errors.New("no v1 signature matches")
}

// A worked v1 signature (secret, id, timestamp, body and signature) passes
// the test's own verifier, and fails it with the body changed.
func TestOwnVerifierMatchesSpecExample(t *testing.T) {
	const (
		secret = "whsec_jxwtPkpbbH2On6CxwtPk9QYXKDlKW2x9jp+gscLT5PU="
		id     = "evt_0c9f6a2e41b7"
		ts     = "1767225600"
		body   = `{"EventName":"item:renamed","OldName":"draft"}`
		sig    = "v1,lkQAhjinmUFLQU72QKuaNzlFA4WyD9ogS+Exy49qfGs="
	)
	if err := verifyStandardSignature(secret, id, ts, []byte(body), sig); err != nil {
		t.Errorf("the specification's example: %v", err)
	}
	if err := verifyStandardSignature(secret, id, ts, []byte(strings.Replace(body, "draft", "Draft", 1)), sig); err == nil {
		t.Errorf("the example with a changed body verifies")
	}
}

// Deliveries signed with two secrets (a rotation) verify with each secret
// alone, over the exact bytes received. They pass a verifier written here
// from the specification and the official library. A body parsed and
// encoded again fails, and a retry is signed under the same webhook-id.
func TestSignaturesVerifyIndependently(t *testing.T) {
	w := needWordPress(t)
	rc := newReceiver(t)
	oldSecret, newSecret, otherSecret := newSigningSecret(t), newSigningSecret(t), newSigningSecret(t)

	// The first request fails, so that one delivery is signed twice.
	failedOnce := false
	rc.mu.Lock()
	rc.respond = func(rw http.ResponseWriter, r *http.Request) {
		rc.mu.Lock()
		fail := !failedOnce
		failedOnce = true
		rc.mu.Unlock()
		if fail {
			rw.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		rw.WriteHeader(http.StatusNoContent)
	}
	rc.mu.Unlock()
	c := startCaddy(t, caddyOptions{site: sidecarSite(w, fmt.Sprintf(`
event_handler signed_sync {
	events item:added item:saved
	url %s
	signing_secret %s
	signing_secret %s
}
delivery {
	backoff 100ms 1s
}`, rc.URL("/signed"), oldSecret, newSecret))})

	// Titles with HTML and text beyond ASCII, which a JSON encoder may
	// escape differently from the bytes that were signed.
	created := w.rest(t, c.URL, "editor", http.MethodPost, "/wp-json/wp/v2/posts",
		map[string]any{"title": "Signed <b>café</b> & “quotes”", "content": "<p>Ünïcödé ✓</p>", "status": "draft"})
	if created.Status != http.StatusCreated {
		t.Fatalf("create: status %d: %.300s", created.Status, created.Body)
	}
	id := postID(t, created)
	editTitle(t, w, c, id, "Signed, edit 1 — naïve")
	editTitle(t, w, c, id, "Signed, edit 2 <i>&amp;</i>")
	c.waitListed(t, "state=delivered", 3, deliveryWait)

	reqs := rc.all()
	got := groupByWebhookID(reqs)
	if len(got.ids) != 3 || got.total != 4 {
		t.Fatalf("receiver got %d requests with %d webhook-ids, want 4 with 3 (one retried):\n%s", got.total, len(got.ids), rc.dump())
	}
	now := time.Now()
	for i, r := range reqs {
		msgID, ts, sig := r.Header.Get("webhook-id"), r.Header.Get("webhook-timestamp"), r.Header.Get("webhook-signature")
		if msgID == "" || ts == "" || sig == "" {
			t.Errorf("request %d lacks a Standard Webhooks header: id %q, timestamp %q, signature %q", i, msgID, ts, sig)
			continue
		}
		secs, err := strconv.ParseInt(ts, 10, 64)
		if err != nil || now.Sub(time.Unix(secs, 0)).Abs() > 5*time.Minute {
			t.Errorf("request %d: webhook-timestamp %q is not Unix seconds within 5 minutes of now", i, ts)
		}
		if entries := strings.Fields(sig); len(entries) != 2 {
			t.Errorf("request %d: webhook-signature has %d entries, want one per secret: %q", i, len(entries), sig)
		}
		for name, secret := range map[string]string{"old": oldSecret, "new": newSecret} {
			if err := verifyStandardSignature(secret, msgID, ts, r.Body, sig); err != nil {
				t.Errorf("request %d (%s): the %s secret alone: %v", i, msgID, name, err)
			}
		}
		if verifyStandardSignature(otherSecret, msgID, ts, r.Body, sig) == nil {
			t.Errorf("request %d verifies with a secret that was never configured", i)
		}

		var v any
		if err := json.Unmarshal(r.Body, &v); err != nil {
			t.Errorf("request %d: body is not JSON: %v", i, err)
			continue
		}
		again, _ := json.Marshal(v)
		if string(again) == string(r.Body) {
			t.Errorf("request %d: the body encodes back to the same bytes, so the test cannot tell them apart; use text that encoding/json escapes", i)
		} else if verifyStandardSignature(oldSecret, msgID, ts, again, sig) == nil {
			t.Errorf("request %d: the body parsed and encoded again verifies too", i)
		}
		detail := c.showDelivery(t, msgID)
		if !reflect.DeepEqual(decodeObject(detail.Payload), r.JSON) {
			t.Errorf("request %d: the body differs from the payload in the delivery log:\n%s\n%s", i, r.Body, detail.Payload)
		}
	}

	t.Run("official library", func(t *testing.T) {
		verifyWithOfficialLibrary(t, reqs, oldSecret, newSecret, otherSecret)
	})
}

// verifyWithOfficialLibrary checks each request with the npm package
// standardwebhooks, installed into a temporary folder. Installing needs
// the npm registry, so it runs under CI or with CMS_WEBHOOKS_NPM=1.
func verifyWithOfficialLibrary(t *testing.T, reqs []recorded, oldSecret, newSecret, otherSecret string) {
	node, nodeErr := exec.LookPath("node")
	npm, npmErr := exec.LookPath("npm")
	if nodeErr != nil || npmErr != nil {
		t.Skip("node and npm are needed to verify with the official Standard Webhooks library")
	}
	if os.Getenv("CI") == "" && os.Getenv("CMS_WEBHOOKS_NPM") == "" {
		t.Skip("set CMS_WEBHOOKS_NPM=1 (CI does it with CI=true) to install the npm package standardwebhooks into a temporary folder and verify with it")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir := t.TempDir()
	install := exec.CommandContext(ctx, npm, "install", "--no-audit", "--no-fund", "--prefix", dir, "standardwebhooks@1.1.1")
	if out, err := install.CombinedOutput(); err != nil {
		t.Fatalf("npm install standardwebhooks@1.1.1: %v\n%s", err, out)
	}

	type message struct {
		Headers    map[string]string `json:"headers"`
		BodyBase64 string            `json:"body_base64"`
	}
	var messages []message
	for _, r := range reqs {
		headers := map[string]string{}
		for _, name := range []string{"webhook-id", "webhook-timestamp", "webhook-signature"} {
			headers[name] = r.Header.Get(name)
		}
		messages = append(messages, message{headers, base64.StdEncoding.EncodeToString(r.Body)})
	}
	// The last message is the first one with a space added to its body.
	tampered := messages[0]
	tampered.BodyBase64 = base64.StdEncoding.EncodeToString(append(append([]byte(nil), reqs[0].Body...), ' '))
	messages = append(messages, tampered)

	input, err := json.Marshal(map[string]any{"secrets": []string{oldSecret, newSecret, otherSecret}, "messages": messages})
	if err != nil {
		t.Fatal(err)
	}
	inputPath := filepath.Join(dir, "input.json")
	if err := os.WriteFile(inputPath, input, 0o600); err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(repoRoot, "integration", "testdata", "verify_standardwebhooks.cjs")
	out, err := exec.CommandContext(ctx, node, script, dir, inputPath).Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("node %s: %v\n%s", script, err, stderr)
	}
	var results [][]string
	if err := json.Unmarshal(out, &results); err != nil || len(results) != len(messages) {
		t.Fatalf("node printed %q, want one result per message (%d)", out, len(messages))
	}
	for i, res := range results[:len(reqs)] {
		if res[0] != "ok" || res[1] != "ok" {
			t.Errorf("request %d: the library says %q with the old secret and %q with the new one", i, res[0], res[1])
		}
		if res[2] == "ok" {
			t.Errorf("request %d: the library accepts a secret that was never configured", i)
		}
	}
	for j, res := range results[len(reqs)] {
		if res == "ok" {
			t.Errorf("the library accepts a changed body with secret %d", j)
		}
	}
}
