package integration

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// workflowSidecar starts a sidecar with the editorial workflow, one
// validation action and one submit action on the given commands, and one
// delivery worker, so that deliveries arrive in the order they were queued.
func workflowSidecar(t *testing.T, w *wordPress, validateCommand, validatorURL, submitCommand, submitURL string) *caddyServer {
	t.Helper()
	return startCaddy(t, caddyOptions{site: sidecarSite(w, fmt.Sprintf(`
%s
validation_action legal_check {
	command %s
	url %s
}
submit_action notify_reviewers {
	command %s
	url %s
}
delivery {
	workers 1
}`, editorialWorkflow, validateCommand, validatorURL, submitCommand, submitURL))})
}

// A contributor's submit for review passes an approving validation action,
// reaches WordPress, and fires the submit action with WordPress's old and
// new status as the workflow states.
func TestSubmitForReviewRunsActions(t *testing.T) {
	w := needWordPress(t)
	v := newValidator(t)
	submitted := newReceiver(t)
	c := workflowSidecar(t, w, "submit", v.URL("/validate"), "submit", submitted.URL("/submit"))

	id := w.create(t, "contributor", "posts", map[string]any{"title": "Harbour festival", "status": "draft"})
	resp := w.rest(t, c.URL, "contributor", http.MethodPost, fmt.Sprintf("/wp-json/wp/v2/posts/%d", id), map[string]any{"status": "pending"})
	if resp.Status != http.StatusOK {
		t.Fatalf("submit: status %d, want 200: %.300s", resp.Status, resp.Body)
	}
	if got := v.matching(isAction(id)); len(got) != 1 {
		t.Errorf("validation action called %d times for post %d, want once; calls:\n%s", len(got), id, v.dump())
	}
	w.wantStatus(t, id, "pending")

	action := submitted.waitFor(t, "submit action", isAction(id)).JSON
	checks := []struct {
		path []string
		want string
	}{
		{[]string{"PreviousState", "StateID"}, "draft"},
		{[]string{"NextState", "StateID"}, "pending"},
		{[]string{"WorkflowName"}, "editorial"},
		{[]string{"UserName"}, "contributor"},
		{[]string{"ActionName"}, "notify_reviewers"},
	}
	for _, check := range checks {
		if got := str(action, check.path...); got != check.want {
			t.Errorf("submit action %v = %q, want %q", check.path, got, check.want)
		}
	}
	if comments, ok := action["Comments"].([]any); !ok || len(comments) != 0 {
		t.Errorf("submit action Comments = %#v, want []", action["Comments"])
	}
	if _, ok := action["EventName"]; ok {
		t.Errorf("submit action has an EventName key; Sitecore's action payloads have none")
	}
}

// An editor's approval that the validation action rejects gets 409 in
// WordPress's error shape with the validator's message, never reaches
// WordPress, and fires no submit action.
func TestValidatorRejectionBlocksPublish(t *testing.T) {
	w := needWordPress(t)
	v := newValidator(t)
	approved := newReceiver(t)
	c := workflowSidecar(t, w, "approve", v.URL("/validate"), "approve", approved.URL("/approve"))

	id := w.pendingPost(t, "Legal review")
	path := fmt.Sprintf("/wp-json/wp/v2/posts/%d", id)

	v.reject("Legal says no")
	resp := w.rest(t, c.URL, "editor", http.MethodPost, path, map[string]any{"status": "publish"})
	if resp.Status != http.StatusConflict {
		t.Fatalf("publish: status %d, want 409: %.300s", resp.Status, resp.Body)
	}
	body := resp.object(t)
	if code, ok := body["code"].(string); !ok || code == "" {
		t.Errorf("409 body has no string code: %s", resp.Body)
	}
	if got := str(body, "message"); got != "Legal says no" {
		t.Errorf("409 message = %q, want %q", got, "Legal says no")
	}
	if got := field(body, "data", "status"); got != json.Number("409") {
		t.Errorf("409 data.status = %v, want 409", got)
	}
	if got := v.matching(isAction(id)); len(got) != 1 {
		t.Errorf("validation action called %d times for post %d, want once", len(got), id)
	}
	w.wantStatus(t, id, "pending")

	// The same command, now accepted, fires its submit action; a delivery
	// of the rejected one would have been queued before it.
	v.accept()
	resp = w.rest(t, c.URL, "editor", http.MethodPost, path, map[string]any{"status": "publish"})
	if resp.Status != http.StatusOK {
		t.Fatalf("second publish: status %d, want 200: %.300s", resp.Status, resp.Body)
	}
	approved.waitFor(t, "submit action of the accepted approve", isAction(id))
	if got := approved.all(); len(got) != 1 {
		t.Errorf("submit action received %d requests, want only the one of the accepted approve:\n%s", len(got), approved.dump())
	}
	w.wantStatus(t, id, "publish")
}

// A validation action that cannot be reached, responds too late or fails
// with an error status blocks the command (fail closed).
func TestValidatorFailureBlocksCommand(t *testing.T) {
	w := needWordPress(t)
	cases := []struct {
		name   string
		setup  func(t *testing.T, v *validator) string
		called bool
	}{
		{
			name:  "down",
			setup: func(t *testing.T, v *validator) string { return closedURL(t) },
		},
		{
			name: "slower than budget",
			setup: func(t *testing.T, v *validator) string {
				v.slow(3 * time.Second)
				return v.URL("/validate")
			},
			called: true,
		},
		{
			name: "error status",
			setup: func(t *testing.T, v *validator) string {
				v.serverError()
				return v.URL("/validate")
			},
			called: true,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			v := newValidator(t)
			url := tc.setup(t, v)
			c := startCaddy(t, caddyOptions{site: sidecarSite(w, fmt.Sprintf(`
budget 1s
%s
validation_action legal_check {
	command approve
	url %s
}`, editorialWorkflow, url))})

			id := w.pendingPost(t, "Fail closed "+tc.name)
			resp := w.rest(t, c.URL, "editor", http.MethodPost, fmt.Sprintf("/wp-json/wp/v2/posts/%d", id), map[string]any{"status": "publish"})
			if resp.Status != http.StatusConflict {
				t.Errorf("publish: status %d, want 409: %.300s", resp.Status, resp.Body)
			}
			if tc.called && len(v.matching(isAction(id))) == 0 {
				t.Errorf("validation action was never called for post %d", id)
			}
			w.wantStatus(t, id, "pending")
		})
	}
}

// on_error allow lets a command through when its validator is down, and a
// shadow validation action never blocks, even when it rejects.
func TestValidatorCanBeMadeAdvisory(t *testing.T) {
	w := needWordPress(t)
	cases := []struct {
		name     string
		setup    func(t *testing.T, v *validator) string
		settings string
		called   bool
	}{
		{
			name:     "on_error allow, validator down",
			setup:    func(t *testing.T, v *validator) string { return closedURL(t) },
			settings: "on_error allow",
		},
		{
			name: "mode shadow, validator rejects",
			setup: func(t *testing.T, v *validator) string {
				v.reject("Legal says no")
				return v.URL("/validate")
			},
			settings: "mode shadow",
			called:   true,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			v := newValidator(t)
			url := tc.setup(t, v)
			c := startCaddy(t, caddyOptions{site: sidecarSite(w, fmt.Sprintf(`
%s
validation_action legal_check {
	command approve
	url %s
	%s
}`, editorialWorkflow, url, tc.settings))})

			id := w.pendingPost(t, "Advisory "+tc.name)
			resp := w.rest(t, c.URL, "editor", http.MethodPost, fmt.Sprintf("/wp-json/wp/v2/posts/%d", id), map[string]any{"status": "publish"})
			if resp.Status != http.StatusOK {
				t.Errorf("publish: status %d, want 200: %.300s", resp.Status, resp.Body)
			}
			if tc.called && len(v.matching(isAction(id))) != 1 {
				t.Errorf("validation action was not called once for post %d:\n%s", id, v.dump())
			}
			w.wantStatus(t, id, "publish")
		})
	}
}

// The block editor signs in with a cookie and sends a nonce instead of an
// application password. Its submit for review is validated and fires the
// submit action with the user's login, which the sidecar reads from
// WordPress because the request itself does not name the user.
func TestCookieSessionSubmitNamesUser(t *testing.T) {
	w := needWordPress(t)
	v := newValidator(t)
	submitted := newReceiver(t)
	c := workflowSidecar(t, w, "submit", v.URL("/validate"), "submit", submitted.URL("/submit"))

	id := w.create(t, "contributor", "posts", map[string]any{"title": "Written in the block editor", "status": "draft"})
	session := w.login(t, c.URL, "contributor")
	nonceResp := session.get(t, c.URL+"/wp-admin/admin-ajax.php?action=rest-nonce")
	nonce := strings.TrimSpace(string(nonceResp.Body))
	if nonceResp.Status != http.StatusOK || nonce == "" || nonce == "0" {
		t.Fatalf("rest-nonce: status %d, body %q", nonceResp.Status, nonceResp.Body)
	}

	req, err := http.NewRequest(http.MethodPost, fmt.Sprintf("%s/wp-json/wp/v2/posts/%d", c.URL, id), strings.NewReader(`{"status":"pending"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-WP-Nonce", nonce)
	resp := session.send(t, req)
	if resp.Status != http.StatusOK {
		t.Fatalf("submit with cookie and nonce: status %d, want 200: %.300s", resp.Status, resp.Body)
	}
	if len(v.matching(isAction(id))) != 1 {
		t.Errorf("validation action was not called once for post %d:\n%s", id, v.dump())
	}
	w.wantStatus(t, id, "pending")

	action := submitted.waitFor(t, "submit action", isAction(id)).JSON
	if got := str(action, "UserName"); got != "contributor" {
		t.Errorf("submit action UserName = %q, want %q", got, "contributor")
	}
}

// TestUserNameStaysTheEditorsWithServiceAccount pins that a service
// account for the reads of the CMS (enrich_authorization) does not change
// who the payloads name: the read of the current user keeps the editor's
// own cookie, so UserName is the contributor's.
func TestUserNameStaysTheEditorsWithServiceAccount(t *testing.T) {
	w := needWordPress(t)
	v := newValidator(t)
	submitted := newReceiver(t)
	login, pass, _ := strings.Cut(w.creds["admin"], ":")
	c := startCaddy(t, caddyOptions{site: sidecarSite(w, fmt.Sprintf(`
%s
authorization service {
	basic %s "%s"
}
enrich_authorization service
validation_action legal_check {
	command submit
	url %s
}
submit_action notify_reviewers {
	command submit
	url %s
}`, editorialWorkflow, login, pass, v.URL("/validate"), submitted.URL("/submit")))})

	id := w.create(t, "contributor", "posts", map[string]any{"title": "Written in the block editor", "status": "draft"})
	session := w.login(t, c.URL, "contributor")
	nonce := strings.TrimSpace(string(session.get(t, c.URL+"/wp-admin/admin-ajax.php?action=rest-nonce").Body))
	req, err := http.NewRequest(http.MethodPost, fmt.Sprintf("%s/wp-json/wp/v2/posts/%d", c.URL, id), strings.NewReader(`{"status":"pending"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-WP-Nonce", nonce)
	if resp := session.send(t, req); resp.Status != http.StatusOK {
		t.Fatalf("submit: status %d: %.300s", resp.Status, resp.Body)
	}
	for _, call := range v.receiver.matching(isAction(id)) {
		if got := str(call.JSON, "UserName"); got != "contributor" {
			t.Errorf("validation UserName = %q, want contributor", got)
		}
	}
	if got := str(submitted.waitFor(t, "submit action", isAction(id)).JSON, "UserName"); got != "contributor" {
		t.Errorf("submit action UserName = %q, want contributor", got)
	}
}
