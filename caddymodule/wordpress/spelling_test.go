package wordpress_test

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"net/http"
	"reflect"
	"sort"
	"testing"

	"github.com/cmshooks/caddy-cms-webhooks/caddymodule/wordpress"
	"github.com/cmshooks/caddy-cms-webhooks/dispatch"
)

// outcome is what the handler learns from one classified write: enough to
// tell two spellings of one request apart.
type outcome struct {
	ItemID       string
	Name         string
	TemplateName string
	Change       change
	Lookups      []string
	Events       []string
	FieldChanges []string
	UserName     string
	Succeeded    bool
}

func outcomeOf(op *dispatch.Operation) outcome {
	o := outcome{
		ItemID:       op.Item.ID,
		Name:         op.Item.Name,
		TemplateName: op.Item.TemplateName,
		UserName:     op.UserName,
		Succeeded:    op.Succeeded,
	}
	if c := changeOf(op.StatusChange); c != nil {
		o.Change = *c
	}
	for _, l := range op.Lookups {
		o.Lookups = append(o.Lookups, l.Path)
	}
	for _, e := range op.Events {
		o.Events = append(o.Events, e.Name)
		if e.Changes == nil {
			continue
		}
		for _, fc := range e.Changes.FieldChanges {
			original := "<none>"
			if fc.OriginalValue != nil {
				original = *fc.OriginalValue
			}
			o.FieldChanges = append(o.FieldChanges, fmt.Sprintf("%s: %s -> %s", fc.FieldID, original, fc.Value))
		}
	}
	sort.Strings(o.FieldChanges)
	return o
}

// multipartBody returns a multipart/form-data body with the fields and its
// Content-Type.
func multipartBody(fields ...string) (string, string) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for i := 0; i+1 < len(fields); i += 2 {
		_ = w.WriteField(fields[i], fields[i+1])
	}
	_ = w.Close()
	return buf.String(), w.FormDataContentType()
}

// Responses of WordPress 6.1 to a publish of post 61, plain, inside an
// envelope (?_envelope) and as the only entry of a batch.
var (
	published61                    = post(61, "publish", "spring-launch-v2")
	published61Plain               = response{200, published61}
	published61Envelope            = response{200, `{"status":200,"headers":{"Allow":"GET, POST, PUT, PATCH, DELETE"},"body":` + published61 + `}`}
	published61Batch               = response{207, `{"responses":[{"status":200,"headers":{"Allow":"GET, POST, PUT, PATCH, DELETE"},"body":` + published61 + `}]}`}
	pending61                      = response{200, post(61, "pending", "")}
	publishJSON                    = `{"status":"publish"}`
	jsonType                       = "application/json"
	formType                       = "application/x-www-form-urlencoded"
	overrideHeader                 = "X-HTTP-Method-Override"
	multipartStatus, multipartType = multipartBody("status", "publish")
)

// TestSpellingsClassifyAlike pins that every spelling of one publish that
// WordPress 6.1 applies is classified as the plain one is, because a
// spelling that escaped classification would bypass validation.
func TestSpellingsClassifyAlike(t *testing.T) {
	plain := call{method: "POST", target: "/wp-json/wp/v2/posts/61", contentType: jsonType, user: "editor", body: publishJSON}
	cases := []struct {
		name     string
		call     call
		response response
	}{
		{"plain POST", plain, published61Plain},
		{"PUT", call{method: "PUT", target: "/wp-json/wp/v2/posts/61", contentType: jsonType, body: publishJSON}, published61Plain},
		{"PATCH", call{method: "PATCH", target: "/wp-json/wp/v2/posts/61", contentType: jsonType, body: publishJSON}, published61Plain},
		{"rest_route query", call{method: "POST", target: "/?rest_route=/wp/v2/posts/61", contentType: jsonType, body: publishJSON}, published61Plain},
		{"rest.route query", call{method: "POST", target: "/?rest.route=/wp/v2/posts/61", contentType: jsonType, body: publishJSON}, published61Plain},
		{"rest space route query", call{method: "POST", target: "/?rest%20route=/wp/v2/posts/61", contentType: jsonType, body: publishJSON}, published61Plain},
		{"rest plus route query", call{method: "POST", target: "/?rest+route=/wp/v2/posts/61", contentType: jsonType, body: publishJSON}, published61Plain},
		{"encoded rest_route value", call{method: "POST", target: "/?rest_route=%2Fwp%2Fv2%2Fposts%2F61", contentType: jsonType, body: publishJSON}, published61Plain},
		{"rest_route on index.php", call{method: "POST", target: "/index.php?rest_route=/wp/v2/posts/61", contentType: jsonType, body: publishJSON}, published61Plain},
		{"rest_route on a permalink", call{method: "POST", target: "/hello-world/?rest_route=/wp/v2/posts/61", contentType: jsonType, body: publishJSON}, published61Plain},
		{"rest_route in form body", call{method: "POST", target: "/", contentType: formType, body: "rest_route=/wp/v2/posts/61&status=publish"}, published61Plain},
		{"GET with _method POST", call{method: "GET", target: "/wp-json/wp/v2/posts/61?_method=POST&status=publish"}, published61Plain},
		{"GET with lower-case _method", call{method: "GET", target: "/wp-json/wp/v2/posts/61?_method=patch&status=publish"}, published61Plain},
		{"GET with override header", call{method: "GET", target: "/wp-json/wp/v2/posts/61?status=publish",
			header: map[string]string{overrideHeader: "PUT"}}, published61Plain},
		{"POST overridden to PUT", call{method: "POST", target: "/wp-json/wp/v2/posts/61?_method=PUT", contentType: jsonType, body: publishJSON}, published61Plain},
		{"status in query, empty body", call{method: "POST", target: "/wp-json/wp/v2/posts/61?status=publish"}, published61Plain},
		{"form-encoded body", call{method: "POST", target: "/wp-json/wp/v2/posts/61", contentType: formType, body: "status=publish"}, published61Plain},
		{"form-encoded PUT body", call{method: "PUT", target: "/wp-json/wp/v2/posts/61", contentType: formType, body: "status=publish"}, published61Plain},
		{"multipart body", call{method: "POST", target: "/wp-json/wp/v2/posts/61", contentType: multipartType, body: multipartStatus}, published61Plain},
		{"JSON with charset", call{method: "POST", target: "/wp-json/wp/v2/posts/61", contentType: "application/json; charset=UTF-8", body: publishJSON}, published61Plain},
		{"merge-patch JSON", call{method: "POST", target: "/wp-json/wp/v2/posts/61", contentType: "application/merge-patch+json", body: publishJSON}, published61Plain},
		{"JSON duplicate keys", call{method: "POST", target: "/wp-json/wp/v2/posts/61", contentType: jsonType, body: `{"status":"draft","status":"publish"}`}, published61Plain},
		{"JSON body beats query", call{method: "POST", target: "/wp-json/wp/v2/posts/61?status=draft", contentType: jsonType, body: publishJSON}, published61Plain},
		{"upper-case route", call{method: "POST", target: "/wp-json/WP/V2/POSTS/61", contentType: jsonType, body: publishJSON}, published61Plain},
		{"trailing slash", call{method: "POST", target: "/wp-json/wp/v2/posts/61/", contentType: jsonType, body: publishJSON}, published61Plain},
		{"double slash", call{method: "POST", target: "/wp-json//wp/v2/posts/61", contentType: jsonType, body: publishJSON}, published61Plain},
		{"below index.php", call{method: "POST", target: "/index.php/wp-json/wp/v2/posts/61", contentType: jsonType, body: publishJSON}, published61Plain},
		{"zero-padded id", call{method: "POST", target: "/wp-json/wp/v2/posts/0061", contentType: jsonType, body: publishJSON}, published61Plain},
		{"percent-encoded path", call{method: "POST", target: "/wp-json/wp/v2/post%73/61", contentType: jsonType, body: publishJSON}, published61Plain},
		{"envelope", call{method: "POST", target: "/wp-json/wp/v2/posts/61?_envelope=1", contentType: jsonType, body: publishJSON}, published61Envelope},
		{"batch entry", call{method: "POST", target: "/wp-json/batch/v1", contentType: jsonType,
			body: `{"requests":[{"method":"POST","path":"/wp/v2/posts/61","body":{"status":"publish"}}]}`}, published61Batch},
		{"batch entry by rest_route", call{method: "POST", target: "/?rest_route=/batch/v1", contentType: jsonType,
			body: `{"requests":[{"method":"PUT","path":"/wp/v2/POSTS/0061","body":{"status":"publish"}}]}`}, published61Batch},
	}

	c := wordpress.New(wordpress.Config{})
	want := outcome{}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.call.user = "editor"
			r := tc.call.request()
			if !c.Candidate(r) {
				t.Errorf("Candidate(%s %s) = false, want true", tc.call.method, tc.call.target)
			}
			ops := classify(c, tc.call)
			if len(ops) != 1 {
				t.Fatalf("Classify returned %d operations, want 1", len(ops))
			}
			if ops[0].StatusChange == nil || ops[0].StatusChange.ToState != "publish" || ops[0].Item.ID != "61" {
				t.Fatalf("operation = item %q, change %+v; want post 61 to publish", ops[0].Item.ID, ops[0].StatusChange)
			}
			runLookups(ops, pending61)
			c.Complete(ops, tc.response.status, nil, []byte(tc.response.body))

			got := outcomeOf(ops[0])
			if i == 0 {
				want = got
				checkPlainPublish(t, got)
				return
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("outcome differs from the plain POST\n got: %+v\nwant: %+v", got, want)
			}
		})
	}
}

// checkPlainPublish checks the plain publish of post 61 against the
// recorded traffic, so that the other spellings compare with a known truth.
func checkPlainPublish(t *testing.T, got outcome) {
	t.Helper()
	want := outcome{
		ItemID:       "61",
		Name:         "spring-launch-v2",
		TemplateName: "post",
		Change:       change{from: "pending", to: "publish"},
		Lookups:      []string{"/?context=edit&rest_route=%2Fwp%2Fv2%2Fposts%2F61"},
		Events:       []string{dispatch.EventItemSaved},
		FieldChanges: []string{"status: pending -> publish"},
		UserName:     "editor",
		Succeeded:    true,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("plain POST outcome\n got: %+v\nwant: %+v", got, want)
	}
}

// TestTrashSpellingsClassifyAlike pins the method overrides that WordPress
// 6.1 turns into a trash of the post.
func TestTrashSpellingsClassifyAlike(t *testing.T) {
	cases := []struct {
		name string
		call call
	}{
		{"plain DELETE", call{method: "DELETE", target: "/wp-json/wp/v2/posts/61"}},
		{"POST with override header", call{method: "POST", target: "/wp-json/wp/v2/posts/61", header: map[string]string{overrideHeader: "DELETE"}}},
		{"POST with _method", call{method: "POST", target: "/wp-json/wp/v2/posts/61?_method=DELETE"}},
		{"GET with override header", call{method: "GET", target: "/wp-json/wp/v2/posts/61", header: map[string]string{overrideHeader: "DELETE"}}},
		{"GET with _method", call{method: "GET", target: "/wp-json/wp/v2/posts/61?_method=DELETE"}},
		{"GET rest_route with _method", call{method: "GET", target: "/?rest_route=/wp/v2/posts/61&_method=delete"}},
		{"_method beats header", call{method: "POST", target: "/wp-json/wp/v2/posts/61?_method=DELETE",
			header: map[string]string{overrideHeader: "PATCH"}}},
	}
	trashed := post(61, "trash", "spring-launch-v2__trashed")
	want := outcome{ItemID: "61", Name: "spring-launch-v2", TemplateName: "post",
		Events: []string{dispatch.EventItemDeleted}, UserName: "editor", Succeeded: true}

	c := wordpress.New(wordpress.Config{})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.call.user = "editor"
			if !c.Candidate(tc.call.request()) {
				t.Errorf("Candidate(%s %s) = false, want true", tc.call.method, tc.call.target)
			}
			ops := classify(c, tc.call)
			if len(ops) != 1 {
				t.Fatalf("Classify returned %d operations, want 1", len(ops))
			}
			runLookups(ops, response{200, post(61, "publish", "spring-launch-v2")})
			c.Complete(ops, http.StatusOK, nil, []byte(trashed))

			if got := outcomeOf(ops[0]); !reflect.DeepEqual(got, want) {
				t.Errorf("outcome\n got: %+v\nwant: %+v", got, want)
			}
		})
	}
}

func TestCandidateSkipsReadsAndAssets(t *testing.T) {
	cases := []struct {
		name string
		call call
	}{
		{"home page", call{method: "GET", target: "/"}},
		{"posts collection", call{method: "GET", target: "/wp-json/wp/v2/posts"}},
		{"post in edit context", call{method: "GET", target: "/wp-json/wp/v2/posts/61?context=edit&_fields=id,status"}},
		{"rest_route read", call{method: "GET", target: "/?rest_route=/wp/v2/posts/61"}},
		{"API index", call{method: "HEAD", target: "/wp-json/"}},
		{"stylesheet", call{method: "GET", target: "/wp-includes/css/dist/block-library/style.min.css?ver=6.1.9"}},
		{"script", call{method: "GET", target: "/wp-includes/js/jquery/jquery.min.js?ver=3.6.1"}},
		{"uploaded image", call{method: "GET", target: "/wp-content/uploads/2026/12/launch.png"}},
		{"favicon", call{method: "GET", target: "/favicon.ico"}},
		{"permalink", call{method: "GET", target: "/spring-launch-v2/"}},
		{"CORS preflight", call{method: "OPTIONS", target: "/wp-json/wp/v2/posts/61"}},
		{"login form", call{method: "POST", target: "/wp-login.php", contentType: formType, body: "log=editor&pwd=x&testcookie=1"}},
		{"admin ajax", call{method: "POST", target: "/wp-admin/admin-ajax.php", contentType: formType, body: "action=heartbeat"}},
		{"comment form", call{method: "POST", target: "/wp-comments-post.php", contentType: formType, body: "comment=hi&comment_post_ID=61"}},
	}
	c := wordpress.New(wordpress.Config{})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if c.Candidate(tc.call.request()) {
				t.Errorf("Candidate(%s %s) = true, want false", tc.call.method, tc.call.target)
			}
		})
	}
}

func TestCandidateHonoursRESTPrefix(t *testing.T) {
	c := wordpress.New(wordpress.Config{RESTPrefix: "/blog/api/"})
	cases := []struct {
		target string
		want   bool
	}{
		{"/blog/api/wp/v2/posts/61", true},
		{"/blog/index.php/api/wp/v2/posts/61", true},
		{"/blog/apis/wp/v2/posts/61", false},
		{"/wp-json/wp/v2/posts/61", false},
	}
	for _, tc := range cases {
		r := call{method: "PUT", target: tc.target, contentType: jsonType, body: publishJSON}.request()
		if got := c.Candidate(r); got != tc.want {
			t.Errorf("Candidate(PUT %s) = %v, want %v", tc.target, got, tc.want)
		}
	}

	ops := classify(c, call{method: "PUT", target: "/blog/api/wp/v2/posts/61", contentType: jsonType, user: "editor", body: publishJSON})
	if len(ops) != 1 {
		t.Fatalf("Classify returned %d operations, want 1", len(ops))
	}
	want := []string{"/blog/?context=edit&rest_route=%2Fwp%2Fv2%2Fposts%2F61"}
	if got := postLookups(ops[0]); !reflect.DeepEqual(got, want) {
		t.Errorf("post lookups = %q, want %q", got, want)
	}
}

func TestPostTypesLimitClassification(t *testing.T) {
	c := wordpress.New(wordpress.Config{Namespaces: []string{"/wp/v2/", "shop/v1"}, PostTypes: []string{"Books", "pages"}})
	cases := []struct {
		target string
		want   int
	}{
		{"/wp-json/wp/v2/books/61", 1},
		{"/wp-json/shop/v1/books/61", 1},
		{"/wp-json/wp/v2/pages/61", 1},
		{"/wp-json/wp/v2/posts/61", 0},
	}
	for _, tc := range cases {
		ops := classify(c, call{method: "POST", target: tc.target, contentType: jsonType, user: "editor", body: publishJSON})
		if len(ops) != tc.want {
			t.Errorf("Classify(POST %s) returned %d operations, want %d", tc.target, len(ops), tc.want)
		}
	}
}

func TestBodyHasParamsByContentType(t *testing.T) {
	cases := []struct {
		method      string
		contentType string
		want        bool
	}{
		{"POST", "application/json", true},
		{"POST", "application/json; charset=UTF-8", true},
		{"POST", "application/merge-patch+json", true},
		{"POST", formType, true},
		{"POST", "multipart/form-data; boundary=x", true},
		{"POST", "image/png", false},
		{"POST", "text/plain", false},
		{"PUT", "image/png", false},
		// WP_REST_Request::parse_body_params reads the body of a method
		// other than POST as a form when the Content-Type is missing.
		{"PUT", "", true},
		{"DELETE", "", true},
	}
	c := wordpress.New(wordpress.Config{})
	for _, tc := range cases {
		r := call{method: tc.method, target: "/wp-json/wp/v2/media/61", contentType: tc.contentType}.request()
		if got := c.BodyHasParams(r); got != tc.want {
			t.Errorf("BodyHasParams(%s, %q) = %v, want %v", tc.method, tc.contentType, got, tc.want)
		}
	}
}
