package dispatch

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
)

// ContentTypeJSON is the Content-Type of JSON payloads, without parameters,
// because receivers written for Sitecore compare it literally.
const ContentTypeJSON = "application/json"

// eventPayload is the body of an event handler request. Field order is the
// key order Sitecore sends: EventName, the event's own properties, then the
// webhook's id and name.
type eventPayload struct {
	EventName       string   `json:"EventName"`
	Item            *Item    `json:"Item,omitempty"`
	Source          *Item    `json:"Source,omitempty"`
	Copy            *Item    `json:"Copy,omitempty"`
	ParentID        string   `json:"ParentID,omitempty"`
	Changes         *Changes `json:"Changes,omitempty"`
	OldParentID     string   `json:"OldParentID,omitempty"`
	OldName         string   `json:"OldName,omitempty"`
	OldValue        string   `json:"OldValue,omitempty"`
	WebhookItemID   string   `json:"WebhookItemId"`
	WebhookItemName string   `json:"WebhookItemName"`
}

// actionPayload is the body of a submit action or validation action request.
// It has no EventName key, as in Sitecore.
type actionPayload struct {
	ActionID        string        `json:"ActionID"`
	ActionName      string        `json:"ActionName"`
	Comments        []KeyValue    `json:"Comments"`
	DataItem        *Item         `json:"DataItem"`
	Message         string        `json:"Message"`
	NextState       *statePayload `json:"NextState"`
	PreviousState   *statePayload `json:"PreviousState"`
	UserName        string        `json:"UserName"`
	WorkflowName    string        `json:"WorkflowName"`
	WebhookItemID   string        `json:"WebhookItemId"`
	WebhookItemName string        `json:"WebhookItemName"`
}

// KeyValue is one element of the Comments array.
type KeyValue struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

type statePayload struct {
	DisplayName              string `json:"DisplayName"`
	FinalState               bool   `json:"FinalState"`
	Icon                     string `json:"Icon"`
	StateID                  string `json:"StateID"`
	PreviewPublishingTargets []any  `json:"PreviewPublishingTargets"`
}

// EncodeEvent returns the event handler payload for event i of an
// operation, from the enriched operation when the webhook asks for
// enrichment, from the traffic alone otherwise.
func EncodeEvent(wh *Webhook, op *Operation, i int) ([]byte, error) {
	if !wh.Enrich && op.Basic != nil {
		op = op.Basic
	}
	e := &op.Events[i]
	p := eventPayload{
		EventName:       e.Name,
		WebhookItemID:   wh.ID,
		WebhookItemName: wh.Name,
		OldParentID:     e.OldParentID,
		OldName:         e.OldName,
		OldValue:        e.OldValue,
	}
	item := op.Item
	switch e.Name {
	case EventItemCopied:
		p.Source = e.Source
		p.Copy = &item
	case EventItemDeleted:
		p.Item = &item
		p.ParentID = item.ParentID
	case EventItemSaved:
		p.Item = &item
		if e.Changes != nil {
			// Sitecore always sends both arrays, [] when empty, and typed
			// receivers bind them to lists.
			changes := *e.Changes
			if changes.FieldChanges == nil {
				changes.FieldChanges = []FieldChange{}
			}
			if changes.PropertyChanges == nil {
				changes.PropertyChanges = []any{}
			}
			p.Changes = &changes
		}
	default:
		p.Item = &item
	}
	return encode(wh, "event", p)
}

// ActionRequest is what a submit action or validation action payload needs
// beyond the webhook: the operation and the matched workflow transition.
type ActionRequest struct {
	Op         *Operation
	Transition *Transition

	// OnState is set for a submit action that sits on a state, so
	// NextState is null.
	OnState bool
}

// EncodeAction returns the submit action or validation action payload.
func EncodeAction(wh *Webhook, req ActionRequest) ([]byte, error) {
	if !wh.Enrich && req.Op.Basic != nil {
		req.Op = req.Op.Basic
	}
	if req.Op.StatusChange == nil || req.Transition == nil {
		return nil, fmt.Errorf("action payload needs a status change and its transition")
	}
	comments := []KeyValue{}
	if req.Op.Comments != "" {
		comments = append(comments, KeyValue{Key: "Comments", Value: req.Op.Comments})
	}
	item := req.Op.Item
	p := actionPayload{
		ActionID:        wh.ID,
		ActionName:      wh.Name,
		Comments:        comments,
		DataItem:        &item,
		Message:         "",
		PreviousState:   encodeState(req.Transition.From, req.Op.StatusChange.FromState),
		UserName:        req.Op.UserName,
		WorkflowName:    req.Transition.Workflow.Name,
		WebhookItemID:   wh.ID,
		WebhookItemName: wh.Name,
	}
	if !req.OnState {
		p.NextState = encodeState(req.Transition.To, req.Op.StatusChange.ToState)
	}
	return encode(wh, wh.actionRoot(), p)
}

// encode returns the payload in the webhook's serialization. The event
// handler XML root is "event", as Sitecore documents.
func encode(wh *Webhook, xmlRoot string, v any) ([]byte, error) {
	b, err := marshal(v)
	if err != nil || wh.Serialization != "xml" {
		return b, err
	}
	return jsonToXML(xmlRoot, b)
}

// encodeState returns the WorkflowState object of a state. A state outside
// the workflow is sent with its key, so the receiver still learns where the
// item came from.
func encodeState(s *State, key string) *statePayload {
	if s == nil {
		if key == "" {
			return nil
		}
		return &statePayload{DisplayName: key, StateID: key, PreviewPublishingTargets: []any{}}
	}
	p := &statePayload{
		DisplayName:              s.DisplayName,
		FinalState:               s.Final,
		Icon:                     s.Icon,
		StateID:                  s.Key,
		PreviewPublishingTargets: []any{},
	}
	if p.DisplayName == "" {
		p.DisplayName = s.Key
	}
	if s.ID != "" {
		if g, err := ParseGUID(s.ID); err == nil {
			// Sitecore sends StateID as a braced upper-case GUID.
			p.StateID = "{" + strings.ToUpper(g) + "}"
		}
	}
	return p
}

// marshal encodes v without escaping <, > and &, because item fields carry
// HTML that receivers read as text.
func marshal(v any) ([]byte, error) {
	buf := encodeBuffers.Get().(*bytes.Buffer)
	defer encodeBuffers.Put(buf)
	buf.Reset()
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.Clone(bytes.TrimSuffix(buf.Bytes(), []byte("\n"))), nil
}

// encodeBuffers keep their capacity between payloads, because growing a
// buffer to the size of a rich-text item costs more than encoding it.
var encodeBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}
