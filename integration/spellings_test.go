package integration

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// spelling is one way of writing "publish post ID" that WordPress accepts.
type spelling struct {
	name string

	// build returns the unsigned request against base (the sidecar's URL
	// or WordPress's own).
	build func(base string, id int) (*http.Request, error)

	// envelope is set when the request sets _envelope, so the response is
	// HTTP 200 with the real status inside.
	envelope bool
}

func jsonRequest(method, target, body string) (*http.Request, error) {
	req, err := http.NewRequest(method, target, strings.NewReader(body))
	if err == nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return req, err
}

func formRequest(target string, form url.Values) (*http.Request, error) {
	req, err := http.NewRequest(http.MethodPost, target, strings.NewReader(form.Encode()))
	if err == nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	return req, err
}

func multipartRequest(target string, fields map[string]string) (*http.Request, error) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		if err := mw.WriteField(k, v); err != nil {
			return nil, err
		}
	}
	if err := mw.Close(); err != nil {
		return nil, err
	}
	req, err := http.NewRequest(http.MethodPost, target, &buf)
	if err == nil {
		req.Header.Set("Content-Type", mw.FormDataContentType())
	}
	return req, err
}

const publishJSON = `{"status":"publish"}`

// publishSpellings are the spellings of one approve command, taken from
// how WordPress 6.1 reads a request (WP::parse_request,
// WP_REST_Server::serve_request, WP_REST_Request::get_parameter_order).
// The test also sends each one to WordPress directly and checks that it
// publishes, so every case is a spelling WordPress accepts.
var publishSpellings = []spelling{
	{name: "plain JSON POST", build: func(b string, id int) (*http.Request, error) {
		return jsonRequest(http.MethodPost, fmt.Sprintf("%s/wp-json/wp/v2/posts/%d", b, id), publishJSON)
	}},
	{name: "rest_route query", build: func(b string, id int) (*http.Request, error) {
		return jsonRequest(http.MethodPost, fmt.Sprintf("%s/?rest_route=/wp/v2/posts/%d", b, id), publishJSON)
	}},
	{name: "method override header", build: func(b string, id int) (*http.Request, error) {
		req, err := jsonRequest(http.MethodPost, fmt.Sprintf("%s/wp-json/wp/v2/posts/%d", b, id), publishJSON)
		if err == nil {
			req.Header.Set("X-HTTP-Method-Override", "PUT")
		}
		return req, err
	}},
	{name: "method override header on GET", build: func(b string, id int) (*http.Request, error) {
		req, err := http.NewRequest(http.MethodGet, fmt.Sprintf("%s/wp-json/wp/v2/posts/%d?status=publish", b, id), nil)
		if err == nil {
			req.Header.Set("X-HTTP-Method-Override", "PUT")
		}
		return req, err
	}},
	{name: "_method query", build: func(b string, id int) (*http.Request, error) {
		return jsonRequest(http.MethodPost, fmt.Sprintf("%s/wp-json/wp/v2/posts/%d?_method=PATCH", b, id), publishJSON)
	}},
	{name: "status in query, empty body", build: func(b string, id int) (*http.Request, error) {
		return http.NewRequest(http.MethodPost, fmt.Sprintf("%s/wp-json/wp/v2/posts/%d?status=publish", b, id), nil)
	}},
	{name: "form body", build: func(b string, id int) (*http.Request, error) {
		return formRequest(fmt.Sprintf("%s/wp-json/wp/v2/posts/%d", b, id), url.Values{"status": {"publish"}})
	}},
	{name: "multipart body", build: func(b string, id int) (*http.Request, error) {
		return multipartRequest(fmt.Sprintf("%s/wp-json/wp/v2/posts/%d", b, id), map[string]string{"status": "publish"})
	}},
	{name: "upper-case route", build: func(b string, id int) (*http.Request, error) {
		return jsonRequest(http.MethodPost, fmt.Sprintf("%s/wp-json/WP/V2/POSTS/%d", b, id), publishJSON)
	}},
	{name: "trailing slash", build: func(b string, id int) (*http.Request, error) {
		return jsonRequest(http.MethodPost, fmt.Sprintf("%s/wp-json/wp/v2/posts/%d/", b, id), publishJSON)
	}},
	{name: "zero-padded id", build: func(b string, id int) (*http.Request, error) {
		return jsonRequest(http.MethodPost, fmt.Sprintf("%s/wp-json/wp/v2/posts/00%d", b, id), publishJSON)
	}},
	{name: "double slash", build: func(b string, id int) (*http.Request, error) {
		return jsonRequest(http.MethodPost, fmt.Sprintf("%s/wp-json//wp/v2/posts/%d", b, id), publishJSON)
	}},
	{name: "index.php prefix", build: func(b string, id int) (*http.Request, error) {
		return jsonRequest(http.MethodPost, fmt.Sprintf("%s/index.php/wp-json/wp/v2/posts/%d", b, id), publishJSON)
	}},
	{name: "batch endpoint", build: func(b string, id int) (*http.Request, error) {
		return jsonRequest(http.MethodPost, b+"/wp-json/batch/v1",
			fmt.Sprintf(`{"requests":[{"method":"POST","path":"/wp/v2/posts/%d","body":{"status":"publish"}}]}`, id))
	}},
	{name: "envelope", envelope: true, build: func(b string, id int) (*http.Request, error) {
		return jsonRequest(http.MethodPost, fmt.Sprintf("%s/wp-json/wp/v2/posts/%d?_envelope=1", b, id), publishJSON)
	}},
	{name: "rest_route in form body", build: func(b string, id int) (*http.Request, error) {
		return formRequest(b+"/", url.Values{"rest_route": {fmt.Sprintf("/wp/v2/posts/%d", id)}, "status": {"publish"}})
	}},
	{name: "dotted rest.route query", build: func(b string, id int) (*http.Request, error) {
		return jsonRequest(http.MethodPost, fmt.Sprintf("%s/?rest.route=/wp/v2/posts/%d", b, id), publishJSON)
	}},
	{name: "duplicate JSON keys", build: func(b string, id int) (*http.Request, error) {
		return jsonRequest(http.MethodPost, fmt.Sprintf("%s/wp-json/wp/v2/posts/%d", b, id), `{"status":"draft","status":"publish"}`)
	}},
	{name: "escaped JSON key", build: func(b string, id int) (*http.Request, error) {
		return jsonRequest(http.MethodPost, fmt.Sprintf("%s/wp-json/wp/v2/posts/%d", b, id), `{"st\u0061tus":"publish"}`)
	}},
	{name: "status in query beside JSON body", build: func(b string, id int) (*http.Request, error) {
		return jsonRequest(http.MethodPost, fmt.Sprintf("%s/wp-json/wp/v2/posts/%d?status=publish", b, id), `{"title":"Query status"}`)
	}},
	{name: "_method POST on GET", build: func(b string, id int) (*http.Request, error) {
		return http.NewRequest(http.MethodGet, fmt.Sprintf("%s/wp-json/wp/v2/posts/%d?_method=POST&status=publish", b, id), nil)
	}},
	// PHP decodes the names of query variables, so WordPress reads
	// _method and rest_route however they are percent-encoded.
	{name: "percent-encoded _method on GET", build: func(b string, id int) (*http.Request, error) {
		return http.NewRequest(http.MethodGet, fmt.Sprintf("%s/wp-json/wp/v2/posts/%d?_%%6Dethod=PUT&status=publish", b, id), nil)
	}},
	{name: "percent-encoded rest_route", build: func(b string, id int) (*http.Request, error) {
		return jsonRequest(http.MethodPost, fmt.Sprintf("%s/?rest_%%72oute=/wp/v2/posts/%d", b, id), publishJSON)
	}},
	// The batch endpoint reads its requests from any parameter source,
	// and PHP parses bracketed form names into nested arrays.
	{name: "form-encoded batch", build: func(b string, id int) (*http.Request, error) {
		return formRequest(b+"/wp-json/batch/v1", url.Values{
			"requests[0][path]":         {fmt.Sprintf("/wp/v2/posts/%d", id)},
			"requests[0][body][status]": {"publish"},
		})
	}},
	// wp_is_json_media_type matches subtypes against [\w!#$&-^.+], whose
	// range from & to ^ contains '='.
	{name: "JSON subtype with an equals sign", build: func(b string, id int) (*http.Request, error) {
		req, err := jsonRequest(http.MethodPost, fmt.Sprintf("%s/wp-json/wp/v2/posts/%d", b, id), publishJSON)
		if err == nil {
			req.Header.Set("Content-Type", "application/vnd.a=b+json")
		}
		return req, err
	}},
	// WP_REST_Request::parse_body_params reads the body of a request
	// whose method is not POST as a form when it has no Content-Type.
	{name: "PUT form body without Content-Type", build: func(b string, id int) (*http.Request, error) {
		return http.NewRequest(http.MethodPut, fmt.Sprintf("%s/wp-json/wp/v2/posts/%d", b, id), strings.NewReader("status=publish"))
	}},
	{name: "_method PUT form body without Content-Type", build: func(b string, id int) (*http.Request, error) {
		return http.NewRequest(http.MethodPost, fmt.Sprintf("%s/wp-json/wp/v2/posts/%d?_method=PUT", b, id), strings.NewReader("status=publish"))
	}},
	{name: "PUT form body, Content-Type without slash", build: func(b string, id int) (*http.Request, error) {
		req, err := http.NewRequest(http.MethodPut, fmt.Sprintf("%s/wp-json/wp/v2/posts/%d", b, id), strings.NewReader("status=publish"))
		if err == nil {
			req.Header.Set("Content-Type", "text")
		}
		return req, err
	}},
	// wp_insert_post turns "future" into "publish" when the post's date is
	// less than a minute ahead, whether the request sets that date or the
	// post keeps the one it got when it was created.
	{name: "future with a past date", build: func(b string, id int) (*http.Request, error) {
		return jsonRequest(http.MethodPost, fmt.Sprintf("%s/wp-json/wp/v2/posts/%d", b, id), `{"status":"future","date":"2020-01-01T09:00:00"}`)
	}},
	{name: "future without a date", build: func(b string, id int) (*http.Request, error) {
		return jsonRequest(http.MethodPost, fmt.Sprintf("%s/wp-json/wp/v2/posts/%d", b, id), `{"status":"future"}`)
	}},
}

// Every spelling of an approve that WordPress accepts reaches the
// validation action and is blocked when it rejects, so that no spelling
// bypasses validation.
func TestEverySpellingReachesValidator(t *testing.T) {
	w := needWordPress(t)
	v := newValidator(t)
	v.reject("Blocked by the spelling test")
	c := startCaddy(t, caddyOptions{site: sidecarSite(w, fmt.Sprintf(`
%s
validation_action legal_check {
	command approve
	url %s
}`, editorialWorkflow, v.URL("/validate")))})

	for _, sp := range publishSpellings {
		t.Run(sp.name, func(t *testing.T) {
			// WordPress itself publishes with this spelling.
			control := w.pendingPost(t, "Control "+sp.name)
			resp := sendSpelling(t, w, sp, w.directURL, control)
			if resp.Status/100 != 2 {
				t.Fatalf("sent to WordPress directly: status %d, want 2xx: %.300s", resp.Status, resp.Body)
			}
			w.wantStatus(t, control, "publish")

			id := w.pendingPost(t, "Spelling "+sp.name)
			resp = sendSpelling(t, w, sp, c.URL, id)
			status, body := resp.Status, resp.object(t)
			if sp.envelope {
				if resp.Status != http.StatusOK {
					t.Errorf("HTTP status %d, want 200 as WordPress sends for _envelope requests", resp.Status)
				}
				if field(body, "status") != json.Number("409") {
					t.Errorf("envelope status = %v, want 409: %s", field(body, "status"), resp.Body)
				}
				body, _ = field(body, "body").(map[string]any)
				status = http.StatusConflict
			}
			if status != http.StatusConflict {
				t.Errorf("status %d, want 409: %.300s", resp.Status, resp.Body)
			} else if got := str(body, "message"); got != "Blocked by the spelling test" {
				t.Errorf("message = %q, want the validator's: %s", got, resp.Body)
			}
			if len(v.matching(isAction(id))) == 0 {
				t.Errorf("validation action was not called for post %d", id)
			}
			w.wantStatus(t, id, "pending")
		})
	}
}

// sendSpelling sends a spelling for post id to base as the editor.
func sendSpelling(t *testing.T, w *wordPress, sp spelling, base string, id int) *response {
	t.Helper()
	req, err := sp.build(base, id)
	if err != nil {
		t.Fatal(err)
	}
	login, pass, _ := strings.Cut(w.creds["editor"], ":")
	req.SetBasicAuth(login, pass)
	return send(t, req)
}
