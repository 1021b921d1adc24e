package integration

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"
)

// httpClient sends the tests' requests. It follows no redirects, so that a
// redirect is compared as WordPress sent it.
var httpClient = &http.Client{
	Timeout:       30 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// response is an HTTP response with its body read in full.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

// object decodes the body as a JSON object, failing the test otherwise.
func (r *response) object(t *testing.T) map[string]any {
	t.Helper()
	m := decodeObject(r.Body)
	if m == nil {
		t.Fatalf("response %d is not a JSON object: %.300s", r.Status, r.Body)
	}
	return m
}

// send sends a request and reads the whole response.
func send(t *testing.T, req *http.Request) *response {
	t.Helper()
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading response: %v", req.Method, req.URL, err)
	}
	return &response{Status: resp.StatusCode, Header: resp.Header, Body: body}
}

// newRequest builds a request; role, when not empty, signs it with that
// role's application password.
func (w *wordPress) newRequest(t *testing.T, method, url, role string, body io.Reader) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	if role != "" {
		login, pass, _ := strings.Cut(w.creds[role], ":")
		req.SetBasicAuth(login, pass)
	}
	return req
}

// rest sends a REST call as role to base (the sidecar's URL or WordPress's
// own) and returns the response. A non-nil body is sent as JSON: a string or
// []byte as it is, anything else marshalled.
func (w *wordPress) rest(t *testing.T, base, role, method, path string, body any) *response {
	t.Helper()
	var r io.Reader
	if body != nil {
		switch b := body.(type) {
		case string:
			r = strings.NewReader(b)
		case []byte:
			r = bytes.NewReader(b)
		default:
			raw, err := json.Marshal(b)
			if err != nil {
				t.Fatal(err)
			}
			r = bytes.NewReader(raw)
		}
	}
	req := w.newRequest(t, method, base+path, role, r)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return send(t, req)
}

// create makes a post of a type (posts, pages) directly in WordPress, as
// role, and returns its id. Fixtures bypass the sidecar.
func (w *wordPress) create(t *testing.T, role, base string, fields map[string]any) int {
	t.Helper()
	resp := w.rest(t, w.directURL, role, http.MethodPost, "/wp-json/wp/v2/"+base, fields)
	if resp.Status != http.StatusCreated {
		t.Fatalf("creating %s as %s: status %d: %.300s", base, role, resp.Status, resp.Body)
	}
	return postID(t, resp)
}

// postID reads the id from a post in a response.
func postID(t *testing.T, resp *response) int {
	t.Helper()
	n, ok := field(resp.object(t), "id").(json.Number)
	if !ok {
		t.Fatalf("response has no numeric id: %.300s", resp.Body)
	}
	id, err := n.Int64()
	if err != nil {
		t.Fatal(err)
	}
	return int(id)
}

// pendingPost creates a post that a contributor wrote and submitted for
// review.
func (w *wordPress) pendingPost(t *testing.T, title string) int {
	t.Helper()
	return w.create(t, "contributor", "posts", map[string]any{"title": title, "content": "<p>Body of " + title + ".</p>", "status": "pending"})
}

// status reads a post's status straight from WordPress, as the editor, in
// the edit context, so the sidecar cannot change the result.
func (w *wordPress) status(t *testing.T, id int) string {
	t.Helper()
	resp := w.rest(t, w.directURL, "editor", http.MethodGet, fmt.Sprintf("/wp-json/wp/v2/posts/%d?context=edit", id), nil)
	if resp.Status != http.StatusOK {
		t.Fatalf("reading post %d: status %d: %.300s", id, resp.Status, resp.Body)
	}
	return str(resp.object(t), "status")
}

// wantStatus checks a post's status in WordPress.
func (w *wordPress) wantStatus(t *testing.T, id int, want string) {
	t.Helper()
	if got := w.status(t, id); got != want {
		t.Errorf("post %d: WordPress has status %q, want %q", id, got, want)
	}
}

// editorialWorkflow is the workflow of the tests: WordPress's own review
// cycle of draft, pending and publish.
const editorialWorkflow = `workflow editorial {
	state draft Draft
	state pending "Awaiting review"
	state publish Published final
	command submit draft pending
	command approve pending publish
	command reject pending draft
}`

// session is a browser-like client signed in to wp-admin with cookies.
type session struct {
	client *http.Client
}

// login signs in through wp-login.php at base with the role's web password
// (start.sh sets "<login>-pass-123") and returns the signed-in session.
func (w *wordPress) login(t *testing.T, base, role string) *session {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	s := &session{client: &http.Client{
		Jar:           jar,
		Timeout:       30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
	login, _, _ := strings.Cut(w.creds[role], ":")
	form := url.Values{"log": {login}, "pwd": {login + "-pass-123"}, "testcookie": {"1"}}
	req, err := http.NewRequest(http.MethodPost, base+"/wp-login.php", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	// wp-login.php rejects a login without its test cookie.
	req.AddCookie(&http.Cookie{Name: "wordpress_test_cookie", Value: "WP Cookie check"})
	resp := s.send(t, req)
	if resp.Status != http.StatusFound {
		t.Fatalf("logging in as %s: status %d, want 302: %.300s", login, resp.Status, resp.Body)
	}
	return s
}

func (s *session) send(t *testing.T, req *http.Request) *response {
	t.Helper()
	resp, err := s.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return &response{Status: resp.StatusCode, Header: resp.Header, Body: body}
}

func (s *session) get(t *testing.T, target string) *response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, target, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s.send(t, req)
}
