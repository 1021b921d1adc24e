package sitecore

import (
	"encoding/json"

	"github.com/cmshooks/caddy-cms-webhooks/dispatch"
)

// Reject returns the response to a blocked request in the shape its client
// reads. For GraphQL it is a GraphQL response with the message in errors and
// the blocked command's result marked failed (successful false for the
// Authoring API, completed false for Pages), so that GraphQL clients show
// the validator's message; other mutations of the document are null, since
// none ran. For ItemService it is ASP.NET's {"Message": ...}.
func (c *Classifier) Reject(ops []*dispatch.Operation, status int, message string, extra map[string]any) (int, string, []byte) {
	var graphql []*detail
	for _, op := range ops {
		if d, ok := op.Detail.(*detail); ok && d.api == apiShell {
			// Sitecore still waits for a blocked continuation.
			c.settle(ops, false, false)
			return rejectShell(status, message)
		}
		if d, ok := op.Detail.(*detail); ok && d.api == apiSpeak {
			return rejectSpeak(message)
		}
		if d, ok := op.Detail.(*detail); ok && d.api != apiItemService {
			graphql = append(graphql, d)
		}
	}
	if len(graphql) == 0 {
		b, _ := json.Marshal(map[string]string{"Message": message})
		return status, "application/json; charset=utf-8", b
	}

	answers := map[int]map[string]any{}
	batched := false
	for _, d := range graphql {
		batched = batched || d.batched
		a := answers[d.batch]
		if a == nil {
			a = map[string]any{
				"errors": []map[string]any{{"message": message, "extensions": extensionsOf(extra)}},
				"data":   map[string]any{},
			}
			answers[d.batch] = a
		}
		data := a["data"].(map[string]any)
		switch d.result {
		case "successful":
			data[d.key] = map[string]any{"successful": false, "error": message}
		case "completed":
			data[d.key] = map[string]any{"completed": false, "error": message}
		default:
			data[d.key] = nil
		}
	}

	var v any = answers[-1]
	if batched {
		list := make([]any, 0, len(answers))
		for i := 0; i < len(answers); i++ {
			if a, ok := answers[i]; ok {
				list = append(list, a)
			}
		}
		v = list
	}
	b, err := json.Marshal(v)
	if err != nil {
		b = []byte(`{"errors":[{"message":"request blocked"}]}`)
	}
	return status, "application/json; charset=utf-8", b
}

// extensionsOf adds the status and the blocking webhook to an error's
// extensions, where GraphQL clients keep details.
func extensionsOf(extra map[string]any) map[string]any {
	ext := map[string]any{"code": "CMS_WEBHOOKS_BLOCKED"}
	for k, v := range extra {
		ext[k] = v
	}
	return ext
}
