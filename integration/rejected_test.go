package integration

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// A request that WordPress rejects (403 for a contributor who publishes,
// also inside an envelope or a batch, and 401 for a wrong application
// password) fires no event handler and no submit action. The test ends
// with a request that does fire, so an empty receiver cannot pass for a
// slow one. With one delivery worker, anything that the rejected requests
// had queued would arrive before it.
func TestRejectedRequestsFireNothing(t *testing.T) {
	w := needWordPress(t)
	rc := newReceiver(t)
	c := startCaddy(t, caddyOptions{site: sidecarSite(w, fmt.Sprintf(`
%s
event_handler content_sync {
	events item:added item:saved item:deleted item:moved item:renamed
	url %s
}
submit_action on_published {
	state publish
	url %s
}
submit_action on_pending {
	state pending
	url %s
}
delivery {
	workers 1
}`, editorialWorkflow, rc.URL("/events"), rc.URL("/published"), rc.URL("/pending")))})

	id := w.create(t, "contributor", "posts", map[string]any{"title": "Own draft", "status": "draft"})
	path := fmt.Sprintf("/wp-json/wp/v2/posts/%d", id)

	resp := w.rest(t, c.URL, "contributor", http.MethodPost, path, map[string]any{"status": "publish", "title": "Published by a contributor"})
	if resp.Status != http.StatusForbidden || str(resp.object(t), "code") != "rest_cannot_publish" {
		t.Fatalf("contributor publish: status %d, want 403 rest_cannot_publish: %.300s", resp.Status, resp.Body)
	}

	// The same rejection inside an envelope (HTTP 200, the 403 inside) and
	// inside a batch (HTTP 207, the 403 in the entry).
	resp = w.rest(t, c.URL, "contributor", http.MethodPost, path+"?_envelope=1", map[string]any{"status": "publish", "title": "Published in an envelope"})
	if resp.Status != http.StatusOK || field(resp.object(t), "status") != json.Number("403") {
		t.Fatalf("contributor publish with _envelope: status %d, want 200 with an envelope of 403: %.300s", resp.Status, resp.Body)
	}
	resp = w.rest(t, c.URL, "contributor", http.MethodPost, "/wp-json/batch/v1",
		fmt.Sprintf(`{"requests":[{"method":"POST","path":"/wp/v2/posts/%d","body":{"status":"publish","title":"Published in a batch"}}]}`, id))
	entries, _ := field(resp.object(t), "responses").([]any)
	if resp.Status != http.StatusMultiStatus || len(entries) != 1 || field(entries[0], "status") != json.Number("403") {
		t.Fatalf("contributor publish in a batch: status %d, want 207 with one entry of 403: %.300s", resp.Status, resp.Body)
	}

	login, _, _ := strings.Cut(w.creds["contributor"], ":")
	req := w.newRequest(t, http.MethodPost, c.URL+path, "", strings.NewReader(`{"title":"Wrong password","status":"pending"}`))
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth(login, "abcd efgh ijkl mnop qrst uvwx")
	resp = send(t, req)
	if resp.Status != http.StatusUnauthorized {
		t.Fatalf("wrong application password: status %d, want 401: %.300s", resp.Status, resp.Body)
	}
	w.wantStatus(t, id, "draft")

	resp = w.rest(t, c.URL, "contributor", http.MethodPost, path, map[string]any{"title": "Accepted edit"})
	if resp.Status != http.StatusOK {
		t.Fatalf("contributor edit: status %d, want 200: %.300s", resp.Status, resp.Body)
	}
	rc.waitFor(t, "item:saved of the accepted edit", isEvent("item:saved", id))

	got := rc.all()
	if len(got) != 1 {
		t.Errorf("receiver got %d requests, want only the item:saved of the accepted edit:\n%s", len(got), rc.dump())
	}
	for _, r := range got {
		if !strings.Contains(string(r.Body), "Accepted edit") {
			t.Errorf("delivery that belongs to no accepted request: %s %s", r.Path, r.Body)
		}
	}
}
