// Package receivermodel is test support: typed models that mirror public
// Sitecore webhook receivers, and a reader of payload key order, used by the
// fidelity tests of dispatch and caddymodule/sitecore. Those tests decode
// payloads the way receivers written for Sitecore do, into these models, and
// check every value, the key order and the GUID spellings that Sitecore
// sends.
//
// The models mirror public receivers:
//
//   - Event, Item, Changes and their elements follow
//     SitecoreXMC/WebhookRequest/*.cs of
//     https://github.com/sitecore-jbe/jbe-sitecore-xmc-function-app
//     (System.Guid ids, a numeric Version, bool flags). The Source, Copy and
//     OldName properties come from Sample/SitecoreReceiver/Models/WebhookData.cs
//     of https://github.com/navancommits/SitecoreWebHookReceiverSample.
//     Neither model has ParentID, OldParentID or OldValue, which Sitecore
//     sends with item:deleted, item:moved and item:sortorderchanged.
//   - Action and State follow the public receiver model
//     SitecoreXM.Logic.Models.SitecoreWorkflowValidationWebhook (Guid
//     ActionID, Comments as a list of Key/Value, StateID as a string).
//
// uuid.UUID replaces System.Guid, so decoding fails on text that is not a
// GUID. Like System.Guid it also accepts braced and 32-digit text, so the
// 36-character lower-case form is checked on the raw payload by CheckShape
// and CheckShapeInOrder.
// The XML element names of arrays are the ones dispatch/xml.go chooses,
// because Sitecore documents no XML sample.
package receivermodel

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"io"
	"testing"

	"github.com/google/uuid"
)

// Event is the payload of an event handler.
type Event struct {
	XMLName         xml.Name  `json:"-" xml:"event"`
	EventName       string    `json:"EventName" xml:"EventName"`
	Item            *Item     `json:"Item" xml:"Item"`
	Source          *Item     `json:"Source" xml:"Source"`
	Copy            *Item     `json:"Copy" xml:"Copy"`
	ParentID        uuid.UUID `json:"ParentID" xml:"ParentID"`
	Changes         *Changes  `json:"Changes" xml:"Changes"`
	OldParentID     uuid.UUID `json:"OldParentID" xml:"OldParentID"`
	OldName         string    `json:"OldName" xml:"OldName"`
	OldValue        string    `json:"OldValue" xml:"OldValue"`
	WebhookItemID   uuid.UUID `json:"WebhookItemId" xml:"WebhookItemId"`
	WebhookItemName string    `json:"WebhookItemName" xml:"WebhookItemName"`
}

// Item is the Item, Source, Copy or DataItem object of a payload.
type Item struct {
	Language          string           `json:"Language" xml:"Language"`
	Version           int              `json:"Version" xml:"Version"`
	ID                uuid.UUID        `json:"Id" xml:"Id"`
	Name              string           `json:"Name" xml:"Name"`
	ParentID          uuid.UUID        `json:"ParentId" xml:"ParentId"`
	TemplateID        uuid.UUID        `json:"TemplateId" xml:"TemplateId"`
	TemplateName      string           `json:"TemplateName" xml:"TemplateName"`
	MasterID          uuid.UUID        `json:"MasterId" xml:"MasterId"`
	SharedFields      []SharedField    `json:"SharedFields" xml:"SharedFields>Field"`
	UnversionedFields []VersionedField `json:"UnversionedFields" xml:"UnversionedFields>Field"`
	VersionedFields   []VersionedField `json:"VersionedFields" xml:"VersionedFields>Field"`
}

// SharedField is one element of an item's SharedFields.
type SharedField struct {
	ID    uuid.UUID `json:"Id" xml:"Id"`
	Value string    `json:"Value" xml:"Value"`
}

// VersionedField serves both UnversionedFields and VersionedFields,
// as in the jbe model, where Version is a nullable long.
type VersionedField struct {
	ID       uuid.UUID `json:"Id" xml:"Id"`
	Value    string    `json:"Value" xml:"Value"`
	Language string    `json:"Language" xml:"Language"`
	Version  *int      `json:"Version" xml:"Version"`
}

// Changes is the Changes object of an item:saved payload.
type Changes struct {
	FieldChanges              []FieldChange `json:"FieldChanges" xml:"FieldChanges>FieldChange"`
	PropertyChanges           []any         `json:"PropertyChanges" xml:"PropertyChanges>PropertyChange"`
	IsUnversionedFieldChanged bool          `json:"IsUnversionedFieldChanged" xml:"IsUnversionedFieldChanged"`
	IsSharedFieldChanged      bool          `json:"IsSharedFieldChanged" xml:"IsSharedFieldChanged"`
}

// FieldChange keeps OriginalValue as a pointer, because the jbe
// receiver calls OriginalValue.Replace and so fails on null.
type FieldChange struct {
	FieldID       uuid.UUID `json:"FieldId" xml:"FieldId"`
	Value         string    `json:"Value" xml:"Value"`
	OriginalValue *string   `json:"OriginalValue" xml:"OriginalValue"`
}

// Action has no root name in its XML tag, because the root of
// action XML is configurable. XMLName records the root that was sent.
type Action struct {
	XMLName         xml.Name  `json:"-"`
	ActionID        uuid.UUID `json:"ActionID" xml:"ActionID"`
	ActionName      string    `json:"ActionName" xml:"ActionName"`
	Comments        []Comment `json:"Comments" xml:"Comments>KeyValue"`
	DataItem        *Item     `json:"DataItem" xml:"DataItem"`
	Message         string    `json:"Message" xml:"Message"`
	NextState       *State    `json:"NextState" xml:"NextState"`
	PreviousState   *State    `json:"PreviousState" xml:"PreviousState"`
	UserName        string    `json:"UserName" xml:"UserName"`
	WorkflowName    string    `json:"WorkflowName" xml:"WorkflowName"`
	WebhookItemID   uuid.UUID `json:"WebhookItemId" xml:"WebhookItemId"`
	WebhookItemName string    `json:"WebhookItemName" xml:"WebhookItemName"`
}

// Comment is one Key/Value element of an action's Comments.
type Comment struct {
	Key   string `json:"Key" xml:"Key"`
	Value string `json:"Value" xml:"Value"`
}

// State is a WorkflowState. Nil is XML's xsi:nil="true", the XML
// form of a null NextState.
type State struct {
	DisplayName              string `json:"DisplayName" xml:"DisplayName"`
	FinalState               bool   `json:"FinalState" xml:"FinalState"`
	Icon                     string `json:"Icon" xml:"Icon"`
	StateID                  string `json:"StateID" xml:"StateID"`
	PreviewPublishingTargets []any  `json:"PreviewPublishingTargets" xml:"PreviewPublishingTargets>PublishingTarget"`
	Nil                      bool   `json:"-" xml:"http://www.w3.org/2001/XMLSchema-instance nil,attr"`
}

// IsNull reports whether a state is null: absent or JSON null, or XML
// xsi:nil.
func (s *State) IsNull() bool {
	return s == nil || s.Nil
}

// Decode decodes a payload into a receiver model: JSON strictly,
// with unknown keys and trailing data as errors, or XML when serialization
// is "xml". It fails the test on an error.
func Decode[T any](t testing.TB, serialization string, body []byte) T {
	t.Helper()
	var v T
	if serialization == "xml" {
		if err := xml.Unmarshal(body, &v); err != nil {
			t.Fatalf("decoding XML payload into the receiver model: %v\n%s", err, body)
		}
		return v
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("decoding JSON payload into the receiver model: %v\n%s", err, body)
	}
	if _, err := dec.Token(); err != io.EOF {
		t.Fatalf("JSON payload has data after its object:\n%s", body)
	}
	return v
}
