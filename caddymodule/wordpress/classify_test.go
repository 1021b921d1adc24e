package wordpress_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/cmshooks/caddy-cms-webhooks/caddymodule/wordpress"
	"github.com/cmshooks/caddy-cms-webhooks/dispatch"
)

// call is one request to WordPress as a client sends it.
type call struct {
	method      string
	target      string
	contentType string
	body        string

	// user is the login behind HTTP Basic authentication (an application
	// password). Empty means a cookie-authenticated request, whose user a
	// lookup of /wp/v2/users/me reads.
	user   string
	header map[string]string
}

func (c call) request() *http.Request {
	var body io.Reader
	if c.body != "" {
		body = strings.NewReader(c.body)
	}
	r := httptest.NewRequest(c.method, c.target, body)
	if c.contentType != "" {
		r.Header.Set("Content-Type", c.contentType)
	}
	if c.user != "" {
		r.SetBasicAuth(c.user, "abcd efgh ijkl mnop qrst uvwx")
	}
	for k, v := range c.header {
		r.Header.Set(k, v)
	}
	return r
}

// response is the HTTP status and body of a WordPress response.
type response struct {
	status int
	body   string
}

// currentUser is WordPress's response to GET /wp/v2/users/me?context=edit
// for the editor.
const currentUser = `{"id":2,"username":"editor","name":"editor","slug":"editor","roles":["editor"]}`

// post returns post 5 of the recorded traffic ("Spring launch (v2)") with
// another id, status or slug, as WordPress returns it in the edit context.
func post(id int, status, slug string) string {
	return fmt.Sprintf(`{"id":%d,"date":"2026-12-04T19:22:46","slug":%q,"status":%q,"type":"post",`+
		`"title":{"raw":"Spring launch (v2)","rendered":"Spring launch (v2)"},`+
		`"content":{"raw":"<p>Edited body.</p>","rendered":"<p>Edited body.</p>\n","protected":false}}`,
		id, slug, status)
}

// page returns a page of the recorded traffic. Pages, unlike posts, have
// parent and menu_order members.
func page(id int, status, slug, title string, parent, menuOrder int) string {
	return fmt.Sprintf(`{"id":%d,"date":"2026-12-04T19:22:57","slug":%q,"status":%q,"type":"page",`+
		`"parent":%d,"menu_order":%d,"title":{"raw":%q,"rendered":%q}}`,
		id, slug, status, parent, menuOrder, title, title)
}

// restError returns a WordPress REST error body.
func restError(code, message string, status int) string {
	return fmt.Sprintf(`{"code":%q,"message":%q,"data":{"status":%d}}`, code, message, status)
}

const cannotPublish = "Sorry, you are not allowed to publish posts in this post type."

// classify runs Classify on a call, as the handler does once it has
// buffered the body.
func classify(c *wordpress.Classifier, cl call) []*dispatch.Operation {
	return c.Classify(cl.request(), []byte(cl.body))
}

// runLookups responds to each lookup of ops: a read of a post with before, a
// read of the current user with the editor.
func runLookups(ops []*dispatch.Operation, before response) {
	for _, op := range ops {
		for _, l := range op.Lookups {
			a := before
			if strings.Contains(l.Path, "users%2Fme") {
				a = response{http.StatusOK, currentUser}
			}
			l.Apply(op, a.status, []byte(a.body))
		}
	}
}

// postLookups returns the lookup paths of op that read a post.
func postLookups(op *dispatch.Operation) []string {
	var paths []string
	for _, l := range op.Lookups {
		if !strings.Contains(l.Path, "users%2Fme") {
			paths = append(paths, l.Path)
		}
	}
	return paths
}

// eventsWithoutChanges drops the Changes and Source of events, so that a
// table can compare names and the Old* members alone.
func eventsWithoutChanges(events []dispatch.Event) []dispatch.Event {
	var out []dispatch.Event
	for _, e := range events {
		e.Changes, e.Source = nil, nil
		out = append(out, e)
	}
	return out
}

// change is the part of a dispatch.StatusChange that the recorded traffic
// decides: the status before and after, and whether the post is new.
type change struct {
	from, to string
	created  bool
}

func changeOf(sc *dispatch.StatusChange) *change {
	if sc == nil {
		return nil
	}
	return &change{from: sc.FromState, to: sc.ToState, created: sc.Created}
}

// itemIdentity keeps the item members that the classifier maps from a post.
func itemIdentity(it dispatch.Item) dispatch.Item {
	return dispatch.Item{ID: it.ID, Name: it.Name, ParentID: it.ParentID, TemplateName: it.TemplateName}
}

func TestRecordedEditorialFlow(t *testing.T) {
	postItem := func(id, name string) dispatch.Item {
		return dispatch.Item{ID: id, Name: name, TemplateName: "post"}
	}
	pageItem := func(id, parent string) dispatch.Item {
		return dispatch.Item{ID: id, ParentID: parent, TemplateName: "page"}
	}
	saved := []dispatch.Event{{Name: dispatch.EventItemSaved}}
	added := []dispatch.Event{{Name: dispatch.EventItemAdded}}
	deleted := []dispatch.Event{{Name: dispatch.EventItemDeleted}}

	cases := []struct {
		name string
		call call

		// before is the post that the lookup reads; empty when the
		// request needs no lookup of the post.
		before   string
		response response

		wantChange    *change
		wantEvents    []dispatch.Event
		wantItem      dispatch.Item
		wantUser      string
		wantSucceeded bool
	}{
		{
			name: "contributor creates draft",
			call: call{method: "POST", target: "/wp-json/wp/v2/posts", contentType: "application/json", user: "contributor",
				body: `{"title":"Spring launch","content":"<p>Draft body.</p>","status":"draft"}`},
			response:      response{201, strings.Replace(post(5, "draft", ""), "Spring launch (v2)", "Spring launch", 2)},
			wantChange:    &change{to: "draft", created: true},
			wantEvents:    added,
			wantItem:      postItem("5", ""),
			wantUser:      "contributor",
			wantSucceeded: true,
		},
		{
			name: "contributor edits draft",
			call: call{method: "POST", target: "/wp-json/wp/v2/posts/5", contentType: "application/json", user: "contributor",
				body: `{"title":"Spring launch (v2)","content":"<p>Edited body.</p>"}`},
			response:      response{200, post(5, "draft", "")},
			wantEvents:    saved,
			wantItem:      postItem("5", ""),
			wantUser:      "contributor",
			wantSucceeded: true,
		},
		{
			name: "contributor submits for review",
			call: call{method: "POST", target: "/wp-json/wp/v2/posts/5", contentType: "application/json", user: "contributor",
				body: `{"status":"pending"}`},
			before:        post(5, "draft", ""),
			response:      response{200, post(5, "pending", "")},
			wantChange:    &change{from: "draft", to: "pending"},
			wantEvents:    saved,
			wantItem:      postItem("5", ""),
			wantUser:      "contributor",
			wantSucceeded: true,
		},
		{
			name: "contributor publish is forbidden",
			call: call{method: "POST", target: "/wp-json/wp/v2/posts/5", contentType: "application/json", user: "contributor",
				body: `{"status":"publish"}`},
			before:     post(5, "pending", ""),
			response:   response{403, restError("rest_cannot_publish", cannotPublish, 403)},
			wantChange: &change{from: "pending", to: "publish"},
			wantItem:   postItem("5", ""),
			wantUser:   "contributor",
		},
		{
			name: "wrong application password",
			call: call{method: "POST", target: "/wp-json/wp/v2/posts/5", contentType: "application/json", user: "editor",
				body: `{"status":"publish"}`},
			before:     restError("incorrect_password", "The provided password is an invalid application password.", 401),
			response:   response{401, restError("incorrect_password", "The provided password is an invalid application password.", 401)},
			wantChange: &change{to: "publish"},
			wantItem:   dispatch.Item{ID: "5"},
			wantUser:   "editor",
		},
		{
			name: "editor rejects to draft",
			call: call{method: "POST", target: "/wp-json/wp/v2/posts/5", contentType: "application/json", user: "editor",
				body: `{"status":"draft"}`},
			before:        post(5, "pending", ""),
			response:      response{200, post(5, "draft", "")},
			wantChange:    &change{from: "pending", to: "draft"},
			wantEvents:    saved,
			wantItem:      postItem("5", ""),
			wantUser:      "editor",
			wantSucceeded: true,
		},
		{
			name: "editor resubmits with PUT",
			call: call{method: "PUT", target: "/wp-json/wp/v2/posts/5", contentType: "application/json", user: "editor",
				body: `{"status":"pending"}`},
			before:        post(5, "draft", ""),
			response:      response{200, post(5, "pending", "")},
			wantChange:    &change{from: "draft", to: "pending"},
			wantEvents:    saved,
			wantItem:      postItem("5", ""),
			wantUser:      "editor",
			wantSucceeded: true,
		},
		{
			name: "editor approves with PATCH",
			call: call{method: "PATCH", target: "/wp-json/wp/v2/posts/5", contentType: "application/json", user: "editor",
				body: `{"status":"publish"}`},
			before:        post(5, "pending", ""),
			response:      response{200, post(5, "publish", "spring-launch-v2")},
			wantChange:    &change{from: "pending", to: "publish"},
			wantEvents:    saved,
			wantItem:      postItem("5", "spring-launch-v2"),
			wantUser:      "editor",
			wantSucceeded: true,
		},
		{
			name: "editor makes post private",
			call: call{method: "POST", target: "/wp-json/wp/v2/posts/5", contentType: "application/json", user: "editor",
				body: `{"status":"private"}`},
			before:        post(5, "publish", "spring-launch-v2"),
			response:      response{200, post(5, "private", "spring-launch-v2")},
			wantChange:    &change{from: "publish", to: "private"},
			wantEvents:    saved,
			wantItem:      postItem("5", "spring-launch-v2"),
			wantUser:      "editor",
			wantSucceeded: true,
		},
		{
			name: "editor schedules post",
			call: call{method: "POST", target: "/wp-json/wp/v2/posts/5", contentType: "application/json", user: "editor",
				body: `{"status":"future","date":"2030-01-01T09:00:00"}`},
			before:        post(5, "private", "spring-launch-v2"),
			response:      response{200, post(5, "future", "spring-launch-v2")},
			wantChange:    &change{from: "private", to: "future"},
			wantEvents:    saved,
			wantItem:      postItem("5", "spring-launch-v2"),
			wantUser:      "editor",
			wantSucceeded: true,
		},
		{
			name: "publish with future date settles",
			call: call{method: "POST", target: "/wp-json/wp/v2/posts/5", contentType: "application/json", user: "editor",
				body: `{"status":"publish","date":"2031-01-01T00:00:00"}`},
			before:        post(5, "draft", ""),
			response:      response{200, post(5, "future", "spring-launch-v2")},
			wantChange:    &change{from: "draft", to: "future"},
			wantEvents:    saved,
			wantItem:      postItem("5", "spring-launch-v2"),
			wantUser:      "editor",
			wantSucceeded: true,
		},
		{
			name:          "editor trashes post",
			call:          call{method: "DELETE", target: "/wp-json/wp/v2/posts/5", user: "editor"},
			response:      response{200, post(5, "trash", "spring-launch-v2__trashed")},
			wantEvents:    deleted,
			wantItem:      postItem("5", "spring-launch-v2"),
			wantUser:      "editor",
			wantSucceeded: true,
		},
		{
			name: "editor restores from trash",
			call: call{method: "POST", target: "/wp-json/wp/v2/posts/5", contentType: "application/json", user: "editor",
				body: `{"status":"draft"}`},
			before:        post(5, "trash", "spring-launch-v2__trashed"),
			response:      response{200, post(5, "draft", "spring-launch-v2")},
			wantChange:    &change{to: "draft", created: true},
			wantEvents:    added,
			wantItem:      postItem("5", "spring-launch-v2"),
			wantUser:      "editor",
			wantSucceeded: true,
		},
		{
			name:          "editor deletes for good",
			call:          call{method: "DELETE", target: "/wp-json/wp/v2/posts/5?force=true", user: "editor"},
			response:      response{200, `{"deleted":true,"previous":` + post(5, "draft", "spring-launch-v2") + `}`},
			wantEvents:    deleted,
			wantItem:      postItem("5", "spring-launch-v2"),
			wantUser:      "editor",
			wantSucceeded: true,
		},
		{
			name: "editor creates child page",
			call: call{method: "POST", target: "/wp-json/wp/v2/pages", contentType: "application/json", user: "editor",
				body: `{"title":"Install","status":"draft","parent":7}`},
			response:      response{201, page(9, "draft", "", "Install", 7, 0)},
			wantChange:    &change{to: "draft", created: true},
			wantEvents:    added,
			wantItem:      pageItem("9", "7"),
			wantUser:      "editor",
			wantSucceeded: true,
		},
		{
			name: "editor moves and reorders page",
			call: call{method: "POST", target: "/wp-json/wp/v2/pages/9", contentType: "application/json", user: "editor",
				body: `{"parent":8,"menu_order":3}`},
			before:   page(9, "draft", "", "Install", 7, 0),
			response: response{200, page(9, "draft", "", "Install", 8, 3)},
			wantEvents: []dispatch.Event{
				{Name: dispatch.EventItemMoved, OldParentID: "7"},
				{Name: dispatch.EventItemSortOrderChanged, OldValue: "0"},
			},
			wantItem:      pageItem("9", "8"),
			wantUser:      "editor",
			wantSucceeded: true,
		},
		{
			name: "editor moves page to top",
			call: call{method: "POST", target: "/wp-json/wp/v2/pages/9", contentType: "application/json", user: "editor",
				body: `{"parent":0}`},
			before:        page(9, "draft", "", "Install", 8, 3),
			response:      response{200, page(9, "draft", "", "Install", 0, 3)},
			wantEvents:    []dispatch.Event{{Name: dispatch.EventItemMoved, OldParentID: "8"}},
			wantItem:      pageItem("9", "0"),
			wantUser:      "editor",
			wantSucceeded: true,
		},
		{
			name: "block editor publishes with cookie",
			call: call{method: "POST", target: "/wp-json/wp/v2/posts/13?_locale=user", contentType: "application/json",
				header: map[string]string{"X-WP-Nonce": "0123456789"},
				body:   `{"content":"v2","status":"publish"}`},
			before:        post(13, "draft", ""),
			response:      response{200, post(13, "publish", "autosave-demo")},
			wantChange:    &change{from: "draft", to: "publish"},
			wantEvents:    saved,
			wantItem:      postItem("13", "autosave-demo"),
			wantUser:      "editor",
			wantSucceeded: true,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := wordpress.New(wordpress.Config{})
			r := tc.call.request()
			if !c.Candidate(r) {
				t.Fatalf("Candidate(%s %s) = false, want true", tc.call.method, tc.call.target)
			}
			ops := classify(c, tc.call)
			if len(ops) != 1 {
				t.Fatalf("Classify returned %d operations, want 1", len(ops))
			}
			op := ops[0]

			lookups := postLookups(op)
			if tc.before == "" && len(lookups) != 0 {
				t.Errorf("post lookups = %q, want none", lookups)
			}
			if tc.before != "" && len(lookups) != 1 {
				t.Errorf("post lookups = %q, want one", lookups)
			}
			beforeStatus := http.StatusOK
			if strings.Contains(tc.before, `"code"`) {
				beforeStatus = http.StatusUnauthorized
			}
			runLookups(ops, response{beforeStatus, tc.before})
			c.Complete(ops, tc.response.status, nil, []byte(tc.response.body))

			if got := changeOf(op.StatusChange); !reflect.DeepEqual(got, tc.wantChange) {
				t.Errorf("StatusChange = %+v, want %+v", got, tc.wantChange)
			}
			if got := eventsWithoutChanges(op.Events); !reflect.DeepEqual(got, tc.wantEvents) {
				t.Errorf("Events = %+v, want %+v", got, tc.wantEvents)
			}
			if got := itemIdentity(op.Item); !reflect.DeepEqual(got, tc.wantItem) {
				t.Errorf("Item = %+v, want %+v", got, tc.wantItem)
			}
			if op.UserName != tc.wantUser {
				t.Errorf("UserName = %q, want %q", op.UserName, tc.wantUser)
			}
			if op.Succeeded != tc.wantSucceeded {
				t.Errorf("Succeeded = %v, want %v", op.Succeeded, tc.wantSucceeded)
			}
		})
	}
}

func TestLookupReadsPostInEditContext(t *testing.T) {
	c := wordpress.New(wordpress.Config{})
	ops := classify(c, call{method: "POST", target: "/wp-json/wp/v2/posts/5", contentType: "application/json",
		user: "editor", body: `{"status":"publish"}`})
	if len(ops) != 1 {
		t.Fatalf("Classify returned %d operations, want 1", len(ops))
	}

	want := []string{"/?context=edit&rest_route=%2Fwp%2Fv2%2Fposts%2F5"}
	if got := postLookups(ops[0]); !reflect.DeepEqual(got, want) {
		t.Errorf("post lookups = %q, want %q", got, want)
	}
}

func TestLookupKeepsNonceOfCookieRequest(t *testing.T) {
	c := wordpress.New(wordpress.Config{RESTPrefix: "/blog/wp-json"})
	ops := classify(c, call{method: "POST", target: "/blog/wp-json/wp/v2/posts/5?_wpnonce=abc123",
		contentType: "application/json", body: `{"status":"publish"}`})
	if len(ops) != 1 {
		t.Fatalf("Classify returned %d operations, want 1", len(ops))
	}

	var paths []string
	for _, l := range ops[0].Lookups {
		paths = append(paths, l.Path)
	}
	want := []string{
		"/blog/?_wpnonce=abc123&context=edit&rest_route=%2Fwp%2Fv2%2Fposts%2F5",
		"/blog/?_wpnonce=abc123&context=edit&rest_route=%2Fwp%2Fv2%2Fusers%2Fme",
	}
	if !reflect.DeepEqual(paths, want) {
		t.Errorf("lookup paths = %q, want %q", paths, want)
	}
}

func TestFailedLookupMarksOperation(t *testing.T) {
	c := wordpress.New(wordpress.Config{})
	ops := classify(c, call{method: "POST", target: "/wp-json/wp/v2/posts/5", contentType: "application/json",
		user: "editor", body: `{"status":"publish"}`})
	if len(ops) != 1 {
		t.Fatalf("Classify returned %d operations, want 1", len(ops))
	}

	runLookups(ops, response{404, restError("rest_post_invalid_id", "Invalid post ID.", 404)})

	if !ops[0].LookupFailed {
		t.Error("LookupFailed = false after a 404 lookup, want true")
	}
	if got := ops[0].StatusChange.FromState; got != "" {
		t.Errorf("FromState = %q, want empty", got)
	}
}

func TestSavedEventFieldChanges(t *testing.T) {
	c := wordpress.New(wordpress.Config{})
	ops := classify(c, call{method: "POST", target: "/wp-json/wp/v2/posts/5", contentType: "application/json",
		user: "editor", body: `{"title":"Spring launch (v2)","status":"pending"}`})
	if len(ops) != 1 {
		t.Fatalf("Classify returned %d operations, want 1", len(ops))
	}
	before := strings.Replace(post(5, "draft", ""), `"raw":"Spring launch (v2)"`, `"raw":"Spring launch"`, 1)
	runLookups(ops, response{200, before})
	c.Complete(ops, 200, nil, []byte(post(5, "pending", "")))

	op := ops[0]
	if len(op.Events) != 1 || op.Events[0].Changes == nil {
		t.Fatalf("Events = %+v, want one item:saved with changes", op.Events)
	}
	got := map[string]string{}
	for _, fc := range op.Events[0].Changes.FieldChanges {
		original := "<none>"
		if fc.OriginalValue != nil {
			original = *fc.OriginalValue
		}
		got[fc.FieldID] = original + " -> " + fc.Value
	}
	want := map[string]string{
		"title":  "Spring launch -> Spring launch (v2)",
		"status": "draft -> pending",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("FieldChanges = %v, want %v", got, want)
	}
	if v, _ := op.Item.Field("title"); v != "Spring launch (v2)" {
		t.Errorf("Item title field = %q, want the raw title after the write", v)
	}
}

func TestEnvelopeStatusDecidesSuccess(t *testing.T) {
	cases := []struct {
		name          string
		user          string
		response      response
		wantSucceeded bool
	}{
		{
			name: "contributor forbidden inside envelope",
			user: "contributor",
			response: response{200, `{"body":` + restError("rest_cannot_publish", cannotPublish, 403) +
				`,"status":403,"headers":{}}`},
		},
		{
			name: "editor succeeds inside envelope",
			user: "editor",
			response: response{200, `{"status":200,"headers":{"Link":"<http://127.0.0.1:8081/spring-launch-v2/>; rel=\"alternate\"; type=text/html"},"body":` +
				post(5, "publish", "spring-launch-v2") + `}`},
			wantSucceeded: true,
		},
		{
			name:     "envelope without status",
			user:     "editor",
			response: response{200, post(5, "publish", "spring-launch-v2")},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := wordpress.New(wordpress.Config{})
			ops := classify(c, call{method: "POST", target: "/wp-json/wp/v2/posts/5?_envelope=1",
				contentType: "application/json", user: tc.user, body: `{"status":"publish"}`})
			if len(ops) != 1 {
				t.Fatalf("Classify returned %d operations, want 1", len(ops))
			}
			runLookups(ops, response{200, post(5, "pending", "")})
			c.Complete(ops, tc.response.status, nil, []byte(tc.response.body))

			if ops[0].Succeeded != tc.wantSucceeded {
				t.Errorf("Succeeded = %v, want %v", ops[0].Succeeded, tc.wantSucceeded)
			}
			if tc.wantSucceeded && !ops[0].HasEvent(dispatch.EventItemSaved) {
				t.Errorf("Events = %+v, want item:saved", ops[0].Events)
			}
		})
	}
}

func TestBatchEntriesOwnResponse(t *testing.T) {
	c := wordpress.New(wordpress.Config{})
	ops := classify(c, call{method: "POST", target: "/wp-json/batch/v1", contentType: "application/json", user: "contributor",
		body: `{"requests":[` +
			`{"method":"POST","path":"/wp/v2/posts/5","body":{"status":"publish"}},` +
			`{"method":"POST","path":"/wp/v2/posts/6","body":{"status":"pending"}}]}`})
	if len(ops) != 2 {
		t.Fatalf("Classify returned %d operations, want 2", len(ops))
	}
	for i, want := range []string{"posts%2F5", "posts%2F6"} {
		if got := postLookups(ops[i]); len(got) != 1 || !strings.Contains(got[0], want) {
			t.Errorf("entry %d post lookups = %q, want one for %s", i, got, want)
		}
	}

	runLookups(ops, response{200, post(5, "draft", "")})
	c.Complete(ops, 207, nil, []byte(`{"responses":[`+
		`{"body":`+restError("rest_cannot_publish", cannotPublish, 403)+`,"status":403,"headers":[]},`+
		`{"status":200,"headers":{"Allow":"GET, POST, PUT, PATCH, DELETE"},"body":`+post(6, "pending", "")+`}]}`))

	if ops[0].Succeeded {
		t.Error("entry 1 (publish, 403) Succeeded = true, want false")
	}
	if len(ops[0].Events) != 0 {
		t.Errorf("entry 1 Events = %+v, want none", ops[0].Events)
	}
	if !ops[1].Succeeded {
		t.Error("entry 2 (pending, 200) Succeeded = false, want true")
	}
	if got := ops[1].Item.ID; got != "6" {
		t.Errorf("entry 2 Item.ID = %q, want 6", got)
	}
	if got := ops[1].StatusChange; got == nil || got.ToState != "pending" {
		t.Errorf("entry 2 StatusChange = %+v, want ToState pending", got)
	}
}

func TestBatchSkipsEntriesOtherThanPosts(t *testing.T) {
	c := wordpress.New(wordpress.Config{})
	ops := classify(c, call{method: "POST", target: "/wp-json/batch/v1", contentType: "application/json", user: "editor",
		body: `{"requests":[` +
			`{"method":"POST","path":"/wp/v2/users/3","body":{"name":"Ed"}},` +
			`{"path":"/wp/v2/posts/5?_locale=user","body":{"status":"draft"}}]}`})
	if len(ops) != 1 {
		t.Fatalf("Classify returned %d operations, want 1 (the post entry)", len(ops))
	}

	runLookups(ops, response{200, post(5, "pending", "")})
	c.Complete(ops, 207, nil, []byte(`{"responses":[`+
		`{"status":200,"headers":{},"body":{"id":3,"name":"Ed","slug":"editor"}},`+
		`{"status":200,"headers":{},"body":`+post(5, "draft", "")+`}]}`))

	op := ops[0]
	if !op.Succeeded {
		t.Error("Succeeded = false, want true from the second response")
	}
	if got := op.StatusChange; got == nil || got.FromState != "pending" || got.ToState != "draft" {
		t.Errorf("StatusChange = %+v, want pending -> draft", got)
	}
	if got := op.Item.ID; got != "5" {
		t.Errorf("Item.ID = %q, want 5", got)
	}
}

func TestBatchFailedValidationSucceedsNothing(t *testing.T) {
	c := wordpress.New(wordpress.Config{})
	ops := classify(c, call{method: "POST", target: "/wp-json/batch/v1", contentType: "application/json", user: "editor",
		body: `{"validation":"require-all-validate","requests":[` +
			`{"path":"/wp/v2/posts/5","body":{"status":"publish"}},` +
			`{"path":"/wp/v2/posts/6","body":{"status":"bogus"}}]}`})
	if len(ops) != 2 {
		t.Fatalf("Classify returned %d operations, want 2", len(ops))
	}

	runLookups(ops, response{200, post(5, "pending", "")})
	c.Complete(ops, 207, nil, []byte(`{"failed":"validation","responses":[null,`+
		`{"body":{"code":"rest_invalid_param","message":"Invalid parameter(s): status","data":{"status":400}},"status":400,"headers":{}}]}`))

	for i, op := range ops {
		if op.Succeeded {
			t.Errorf("entry %d Succeeded = true, want false", i+1)
		}
	}
}

func TestBatchInsideEnvelope(t *testing.T) {
	c := wordpress.New(wordpress.Config{})
	ops := classify(c, call{method: "POST", target: "/wp-json/batch/v1?_envelope", contentType: "application/json", user: "editor",
		body: `{"requests":[{"path":"/wp/v2/posts/5","body":{"status":"publish"}}]}`})
	if len(ops) != 1 {
		t.Fatalf("Classify returned %d operations, want 1", len(ops))
	}

	runLookups(ops, response{200, post(5, "pending", "")})
	c.Complete(ops, 200, nil, []byte(`{"body":{"responses":[{"status":200,"headers":{},"body":`+
		post(5, "publish", "spring-launch-v2")+`}]},"status":207,"headers":{}}`))

	if !ops[0].Succeeded {
		t.Error("Succeeded = false, want true")
	}
	if got := ops[0].Item.Name; got != "spring-launch-v2" {
		t.Errorf("Item.Name = %q, want spring-launch-v2", got)
	}
}

func TestDeleteRevisionRemovesVersion(t *testing.T) {
	c := wordpress.New(wordpress.Config{})
	ops := classify(c, call{method: "DELETE", target: "/wp-json/wp/v2/posts/13/revisions/14?force=true", user: "editor"})
	if len(ops) != 1 {
		t.Fatalf("Classify returned %d operations, want 1", len(ops))
	}

	c.Complete(ops, 200, nil, []byte(`{"deleted":true,"previous":{"id":14,"parent":13,"slug":"13-revision-v1"}}`))

	want := []dispatch.Event{{Name: dispatch.EventItemVersionRemoved}}
	if got := eventsWithoutChanges(ops[0].Events); !reflect.DeepEqual(got, want) {
		t.Errorf("Events = %+v, want %+v", got, want)
	}
	if got := ops[0].Item.ID; got != "13" {
		t.Errorf("Item.ID = %q, want 13 (the post, not the revision)", got)
	}
}

func TestNonWritesAreNotClassified(t *testing.T) {
	cases := []struct {
		name string
		call call
	}{
		{"GET without override", call{method: "GET", target: "/wp-json/wp/v2/posts/61?context=edit", user: "editor"}},
		{"GET rest_route without override", call{method: "GET", target: "/?rest_route=/wp/v2/posts/61&status=publish", user: "editor"}},
		{"method override to GET", call{method: "POST", target: "/wp-json/wp/v2/posts/61?_method=GET", contentType: "application/json",
			user: "editor", body: `{"status":"publish"}`}},
		{"autosave", call{method: "POST", target: "/wp-json/wp/v2/posts/13/autosaves", contentType: "application/json",
			user: "editor", body: `{"title":"Autosave demo","content":"v1 + typing","status":"publish"}`}},
		{"revisions list", call{method: "GET", target: "/wp-json/wp/v2/posts/13/revisions", user: "editor"}},
		{"user update", call{method: "POST", target: "/wp-json/wp/v2/users/5", contentType: "application/json",
			user: "admin", body: `{"name":"Contributor","status":"publish"}`}},
		{"category create", call{method: "POST", target: "/wp-json/wp/v2/categories", contentType: "application/json",
			user: "editor", body: `{"name":"News"}`}},
		{"wp-admin screen with rest_route", call{method: "POST", target: "/wp-admin/post.php?rest_route=/wp/v2/posts/61",
			contentType: "application/json", user: "editor", body: `{"status":"publish"}`}},
		{"invalid JSON body", call{method: "POST", target: "/wp-json/wp/v2/posts/61", contentType: "application/json",
			user: "editor", body: `{"status":"publish"`}},
		{"batch without POST", call{method: "PUT", target: "/wp-json/batch/v1", contentType: "application/json",
			user: "editor", body: `{"requests":[{"path":"/wp/v2/posts/61","body":{"status":"publish"}}]}`}},
		{"other namespace", call{method: "POST", target: "/wp-json/wc/v3/products/61", contentType: "application/json",
			user: "editor", body: `{"status":"publish"}`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := wordpress.New(wordpress.Config{})
			if ops := classify(c, tc.call); ops != nil {
				t.Errorf("Classify returned %d operations, want nil", len(ops))
			}
		})
	}
}

func TestIgnoredBodySetsNoStatus(t *testing.T) {
	cases := []struct {
		name string
		call call
	}{
		{"text/plain JSON body", call{method: "POST", target: "/wp-json/wp/v2/posts/61", contentType: "text/plain", body: publishJSON}},
		{"JSON body without Content-Type", call{method: "POST", target: "/wp-json/wp/v2/posts/61", body: publishJSON}},
		{"multipart PUT body", call{method: "PUT", target: "/wp-json/wp/v2/posts/61", contentType: multipartType, body: multipartStatus}},
		{"text/plain form PUT body", call{method: "PUT", target: "/wp-json/wp/v2/posts/61", contentType: "text/plain", body: "status=publish"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := wordpress.New(wordpress.Config{})
			tc.call.user = "editor"
			for _, op := range classify(c, tc.call) {
				if op.StatusChange != nil {
					t.Errorf("StatusChange = %+v, want nil: WordPress does not apply this status", op.StatusChange)
				}
			}
		})
	}
}
