package wordpress

import (
	"encoding/json"
	"net/http"

	"github.com/cmshooks/caddy-cms-webhooks/dispatch"
)

// errorCode is the "code" member of the error the sidecar sends when
// it blocks a request.
const errorCode = "cms_webhooks_blocked"

// restError is the error object of the WordPress REST API, members in the
// order WordPress sends them.
type restError struct {
	Code    string         `json:"code"`
	Message string         `json:"message"`
	Data    map[string]any `json:"data"`
}

// Reject returns the response to a blocked request in the shape of a
// WordPress REST error ({"code", "message", "data": {"status"}}), wrapped in
// an envelope when the request asked for one, so that WordPress clients
// show the message to the editor.
func (c *Classifier) Reject(ops []*dispatch.Operation, status int, message string, data map[string]any) (int, string, []byte) {
	d := map[string]any{"status": status}
	for k, v := range data {
		d[k] = v
	}
	errBody := restError{Code: errorCode, Message: message, Data: d}

	envelope := false
	for _, op := range ops {
		if det, ok := op.Detail.(*detail); ok && (det.outerEnvelope || (det.envelope && det.batch < 0)) {
			envelope = true
		}
	}
	var v any = errBody
	httpStatus := status
	if envelope {
		v = map[string]any{"body": errBody, "status": status, "headers": map[string]any{}}
		httpStatus = http.StatusOK
	}
	b, err := json.Marshal(v)
	if err != nil {
		b = []byte(`{"code":"` + errorCode + `","message":"request blocked","data":{"status":409}}`)
	}
	return httpStatus, "application/json; charset=UTF-8", b
}
