package dispatch

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestParseVerdictAnswers(t *testing.T) {
	tests := []struct {
		name        string
		body        string
		wantValid   bool
		wantMessage string
		wantErr     bool
	}{
		{name: "json accept", body: `{"IsValid": true, "Message": ""}`, wantValid: true},
		{name: "json accept without message", body: `{"IsValid": true}`, wantValid: true},
		{
			name:        "json reject with message",
			body:        `{"IsValid": false, "Message": "Two images on this page have no alt text."}`,
			wantMessage: "Two images on this page have no alt text.",
		},
		{name: "json surrounded by whitespace", body: "\n  {\"IsValid\": true}\r\n", wantValid: true},
		{name: "json missing IsValid", body: `{"Message": "looks fine"}`, wantErr: true},
		{name: "json IsValid as string", body: `{"IsValid": "true", "Message": ""}`, wantErr: true},
		{name: "json IsValid as number", body: `{"IsValid": 1}`, wantErr: true},
		{name: "json IsValid null", body: `{"IsValid": null}`, wantErr: true},
		{name: "json lower camel isValid", body: `{"isValid": true, "message": ""}`, wantErr: true},
		{name: "json lower case isvalid", body: `{"isvalid": true}`, wantErr: true},
		{name: "json array", body: `[{"IsValid": true}]`, wantErr: true},
		{
			name:        "xml reject with message",
			body:        `<data><IsValid>false</IsValid><Message>Two images on this page have no alt text.</Message></data>`,
			wantMessage: "Two images on this page have no alt text.",
		},
		{name: "xml accept", body: `<?xml version="1.0"?><data><IsValid>true</IsValid><Message></Message></data>`, wantValid: true},
		{name: "xml missing IsValid", body: `<data><Message>no verdict</Message></data>`, wantErr: true},
		{name: "xml other root", body: `<result><IsValid>true</IsValid></result>`, wantErr: true},
		{name: "xml IsValid not boolean", body: `<data><IsValid>maybe</IsValid></data>`, wantErr: true},
		{name: "garbage text", body: `OK, looks valid to me`, wantErr: true},
		{name: "html error page", body: `<html><body>502 Bad Gateway</body></html>`, wantErr: true},
		{name: "truncated json", body: `{"IsValid": tru`, wantErr: true},
		{name: "empty body", body: ``, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			valid, message, err := ParseVerdict([]byte(tt.body))

			if tt.wantErr {
				if err == nil {
					t.Fatalf("ParseVerdict(%q) = %v, %q, nil; want an error", tt.body, valid, message)
				}
				if valid {
					t.Errorf("ParseVerdict(%q) returned valid together with error %v", tt.body, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseVerdict(%q): %v", tt.body, err)
			}
			if valid != tt.wantValid {
				t.Errorf("valid = %v, want %v", valid, tt.wantValid)
			}
			if message != tt.wantMessage {
				t.Errorf("message = %q, want %q", message, tt.wantMessage)
			}
		})
	}
}

// newValidator starts a loopback validation receiver and returns a prepared
// validation action that points at it.
func newValidator(t *testing.T, name string, handler http.HandlerFunc, configure func(*Webhook)) *Webhook {
	t.Helper()
	server := httptest.NewServer(handler)
	t.Cleanup(server.Close)

	wh := &Webhook{Name: name, URL: server.URL + "/validate", Command: "Publish"}
	if configure != nil {
		configure(wh)
	}
	if err := wh.Prepare(KindValidationAction, nil); err != nil {
		t.Fatalf("Prepare %q: %v", name, err)
	}
	return wh
}

// newTestDispatcher returns a started Dispatcher that the test stops on cleanup.
func newTestDispatcher(t *testing.T, cfg Config) *Dispatcher {
	t.Helper()
	d := mustNew(t, cfg)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := d.Stop(ctx); err != nil {
			t.Errorf("Stop: %v", err)
		}
	})
	return d
}

// respondWith returns a handler that reads the whole request body and
// replies with status and body.
func respondWith(status int, contentType, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		if contentType != "" {
			w.Header().Set("Content-Type", contentType)
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

func validationCall(wh *Webhook) ValidationCall {
	return ValidationCall{
		Webhook: wh,
		Body:    []byte(`{"ActionID":"` + wh.ID + `"}`),
		Event:   "workflow:Publish",
		ItemID:  "89169dfe-e040-4376-9d86-ba2d17f0612b",
	}
}

func TestValidateSingleValidatorVerdicts(t *testing.T) {
	const rejection = "Two images on this page have no alt text."
	tests := []struct {
		name        string
		handler     http.HandlerFunc
		onError     string
		mode        string
		wantBlock   bool
		wantErr     bool
		wantMessage string
	}{
		{name: "accept", handler: respondWith(200, "application/json", `{"IsValid": true, "Message": ""}`)},
		{
			name:        "reject",
			handler:     respondWith(200, "application/json", `{"IsValid": false, "Message": "`+rejection+`"}`),
			wantBlock:   true,
			wantMessage: rejection,
		},
		{
			name:        "xml reject",
			handler:     respondWith(200, "application/xml", `<data><IsValid>false</IsValid><Message>`+rejection+`</Message></data>`),
			wantBlock:   true,
			wantMessage: rejection,
		},
		{
			name:        "reject despite on_error allow",
			handler:     respondWith(200, "application/json", `{"IsValid": false, "Message": "`+rejection+`"}`),
			onError:     "allow",
			wantBlock:   true,
			wantMessage: rejection,
		},
		{name: "status 500 blocks", handler: respondWith(500, "text/plain", "boom"), wantBlock: true, wantErr: true},
		{name: "status 404 blocks", handler: respondWith(404, "text/plain", "not found"), wantBlock: true, wantErr: true},
		{
			name:      "non-2xx with accepting body blocks",
			handler:   respondWith(503, "application/json", `{"IsValid": true}`),
			wantBlock: true,
			wantErr:   true,
		},
		{
			name: "redirect blocks",
			handler: func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.Copy(io.Discard, r.Body)
				http.Redirect(w, r, "/elsewhere", http.StatusFound)
			},
			wantBlock: true,
			wantErr:   true,
		},
		{name: "unparsable body blocks", handler: respondWith(200, "text/plain", "fine"), wantBlock: true, wantErr: true},
		{name: "missing IsValid blocks", handler: respondWith(200, "application/json", `{"Message": ""}`), wantBlock: true, wantErr: true},
		{name: "status 500 with on_error allow", handler: respondWith(500, "text/plain", "boom"), onError: "allow"},
		{name: "garbage with on_error allow", handler: respondWith(200, "text/plain", "fine"), onError: "allow"},
		{
			name:    "shadow reject never blocks",
			handler: respondWith(200, "application/json", `{"IsValid": false, "Message": "`+rejection+`"}`),
			mode:    "shadow",
		},
		{name: "shadow status 500 never blocks", handler: respondWith(500, "text/plain", "boom"), mode: "shadow"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wh := newValidator(t, "Check alt texts", tt.handler, func(wh *Webhook) {
				wh.OnError = tt.onError
				wh.Mode = tt.mode
			})
			d := newTestDispatcher(t, Config{Workers: 1})
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()

			verdict := d.Validate(ctx, []ValidationCall{validationCall(wh)})

			if !tt.wantBlock {
				if verdict != nil {
					t.Fatalf("Validate = %+v, want nil (command goes on)", verdict)
				}
				return
			}
			if verdict == nil {
				t.Fatal("Validate = nil, want a blocking verdict")
			}
			if !verdict.Blocks {
				t.Errorf("verdict.Blocks = false on a returned verdict")
			}
			if verdict.Valid {
				t.Errorf("verdict.Valid = true on a blocking verdict")
			}
			if verdict.Call == nil || verdict.Call.Webhook != wh {
				t.Errorf("verdict.Call does not name the webhook %q", wh.Name)
			}
			if tt.wantErr && verdict.Err == nil {
				t.Errorf("verdict.Err = nil, want the failure")
			}
			if !tt.wantErr && verdict.Err != nil {
				t.Errorf("verdict.Err = %v, want nil for a parsed verdict", verdict.Err)
			}
			if tt.wantMessage != "" && verdict.Message != tt.wantMessage {
				t.Errorf("verdict.Message = %q, want %q", verdict.Message, tt.wantMessage)
			}
			if tt.wantErr && !strings.Contains(verdict.Message, wh.Name) {
				t.Errorf("verdict.Message = %q, want it to name the webhook %q", verdict.Message, wh.Name)
			}
		})
	}
}

func TestValidateSendsPayloadAsJSONPost(t *testing.T) {
	type received struct {
		method, contentType, body string
	}
	requests := make(chan received, 1)
	wh := newValidator(t, "Check alt texts", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		requests <- received{r.Method, r.Header.Get("Content-Type"), string(body)}
		_, _ = io.WriteString(w, `{"IsValid": true}`)
	}, nil)
	d := newTestDispatcher(t, Config{Workers: 1})
	call := validationCall(wh)

	if verdict := d.Validate(context.Background(), []ValidationCall{call}); verdict != nil {
		t.Fatalf("Validate = %+v, want nil", verdict)
	}

	got := <-requests
	if got.method != http.MethodPost {
		t.Errorf("method = %s, want POST", got.method)
	}
	if got.contentType != "application/json" {
		t.Errorf("Content-Type = %q, want exactly application/json", got.contentType)
	}
	if got.body != string(call.Body) {
		t.Errorf("body = %q, want %q", got.body, call.Body)
	}
}

func TestValidateNoCallsReturnsNil(t *testing.T) {
	d := newTestDispatcher(t, Config{Workers: 1})
	if verdict := d.Validate(context.Background(), nil); verdict != nil {
		t.Errorf("Validate(nil) = %+v, want nil", verdict)
	}
}

// TestValidateRejectCancelsOtherCall pins that validators run concurrently,
// the first rejection decides, and the call still running is cancelled.
// Neither the budget nor the webhook timeout can end the slow call here, so
// only the rejection can.
func TestValidateRejectCancelsOtherCall(t *testing.T) {
	const rejection = "Two images on this page have no alt text."
	slowStarted := make(chan struct{})
	slowCancelled := make(chan struct{})
	release := make(chan struct{})
	releaseOnce := sync.OnceFunc(func() { close(release) })
	defer releaseOnce()

	slow := newValidator(t, "Check links", func(w http.ResponseWriter, r *http.Request) {
		// net/http cancels the request context on a closed connection
		// only once the handler has read the body.
		_, _ = io.Copy(io.Discard, r.Body)
		close(slowStarted)
		select {
		case <-r.Context().Done():
			close(slowCancelled)
		case <-release:
		}
	}, func(wh *Webhook) {
		wh.Timeout = Duration(10 * time.Minute)
	})
	rejecter := newValidator(t, "Check alt texts", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		select {
		case <-slowStarted:
		case <-time.After(10 * time.Second):
			t.Error("the other validator was not called while this one ran")
		}
		_, _ = fmt.Fprintf(w, `{"IsValid": false, "Message": %q}`, rejection)
	}, nil)
	d := newTestDispatcher(t, Config{Workers: 1})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()

	result := make(chan *Verdict, 1)
	go func() {
		result <- d.Validate(ctx, []ValidationCall{validationCall(slow), validationCall(rejecter)})
	}()
	var verdict *Verdict
	select {
	case verdict = <-result:
	case <-time.After(10 * time.Second):
		t.Error("Validate still waits for the slow validator 10s after the rejection")
		releaseOnce()
		verdict = <-result
	}

	if verdict == nil {
		t.Fatal("Validate = nil, want the rejection")
	}
	if verdict.Call.Webhook != rejecter {
		t.Errorf("verdict from %q, want %q", verdict.Call.Webhook.Name, rejecter.Name)
	}
	if verdict.Message != rejection {
		t.Errorf("verdict.Message = %q, want %q", verdict.Message, rejection)
	}
	if verdict.Err != nil {
		t.Errorf("verdict.Err = %v, want nil for a parsed verdict", verdict.Err)
	}
	if !verdict.Blocks || verdict.Valid {
		t.Errorf("verdict Blocks=%v Valid=%v, want a blocking rejection", verdict.Blocks, verdict.Valid)
	}
	select {
	case <-slowCancelled:
	case <-time.After(10 * time.Second):
		t.Error("the slow validator's request context was never cancelled")
	}
}

func TestValidateBudgetExceededBlocks(t *testing.T) {
	wh := newValidator(t, "Check links", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		<-r.Context().Done()
	}, nil)
	d := newTestDispatcher(t, Config{Workers: 1})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()

	verdict := d.Validate(ctx, []ValidationCall{validationCall(wh)})

	if verdict == nil {
		t.Fatal("Validate = nil, want a block when the budget runs out")
	}
	if verdict.Err == nil {
		t.Error("verdict.Err = nil, want the timeout")
	}
	if !verdict.Blocks {
		t.Error("verdict.Blocks = false")
	}
	if !strings.Contains(verdict.Message, wh.Name) {
		t.Errorf("verdict.Message = %q, want it to name the webhook %q", verdict.Message, wh.Name)
	}
}

func TestValidateWebhookTimeoutBlocks(t *testing.T) {
	wh := newValidator(t, "Check links", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		<-r.Context().Done()
	}, func(wh *Webhook) {
		wh.Timeout = Duration(100 * time.Millisecond)
	})
	d := newTestDispatcher(t, Config{Workers: 1})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	verdict := d.Validate(ctx, []ValidationCall{validationCall(wh)})

	if verdict == nil {
		t.Fatal("Validate = nil, want a block when the webhook timeout runs out")
	}
	if verdict.Err == nil {
		t.Error("verdict.Err = nil, want the timeout")
	}
}

func TestValidateUnreachableValidatorBlocks(t *testing.T) {
	// A closed loopback server leaves a port that refuses connections.
	server := httptest.NewServer(http.NotFoundHandler())
	url := server.URL
	server.Close()
	wh := &Webhook{Name: "Check links", URL: url, Command: "Publish"}
	if err := wh.Prepare(KindValidationAction, nil); err != nil {
		t.Fatalf("Prepare: %v", err)
	}
	d := newTestDispatcher(t, Config{Workers: 1})

	verdict := d.Validate(context.Background(), []ValidationCall{validationCall(wh)})

	if verdict == nil || verdict.Err == nil || !verdict.Blocks {
		t.Fatalf("Validate = %+v, want a blocking transport error", verdict)
	}
	if strings.Contains(verdict.Err.Error(), url) {
		t.Errorf("verdict.Err = %q contains the webhook URL", verdict.Err)
	}
}
