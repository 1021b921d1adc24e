package receivermodel

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"regexp"
	"slices"
	"testing"
)

// Key orders of the objects in Sitecore's payloads, by the key whose value
// is the object or an array of such objects. ActionKeyOrder is the order of
// the root of an action payload.
var (
	itemKeyOrder = []string{
		"Language", "Version", "Id", "Name", "ParentId", "TemplateId", "TemplateName",
		"MasterId", "SharedFields", "UnversionedFields", "VersionedFields",
	}
	stateKeyOrder  = []string{"DisplayName", "FinalState", "Icon", "StateID", "PreviewPublishingTargets"}
	ActionKeyOrder = []string{
		"ActionID", "ActionName", "Comments", "DataItem", "Message", "NextState",
		"PreviousState", "UserName", "WorkflowName", "WebhookItemId", "WebhookItemName",
	}
	memberKeyOrder = map[string][]string{
		"Item":              itemKeyOrder,
		"Source":            itemKeyOrder,
		"Copy":              itemKeyOrder,
		"DataItem":          itemKeyOrder,
		"SharedFields":      {"Id", "Value"},
		"UnversionedFields": {"Id", "Value", "Language"},
		"VersionedFields":   {"Id", "Value", "Version", "Language"},
		"Changes":           {"FieldChanges", "PropertyChanges", "IsUnversionedFieldChanged", "IsSharedFieldChanged"},
		"FieldChanges":      {"FieldId", "Value", "OriginalValue"},
		"Comments":          {"Key", "Value"},
		"NextState":         stateKeyOrder,
		"PreviousState":     stateKeyOrder,
	}

	// xmlArrayElement names the repeated child elements of XML arrays.
	xmlArrayElement = map[string]string{
		"SharedFields":             "Field",
		"UnversionedFields":        "Field",
		"VersionedFields":          "Field",
		"FieldChanges":             "FieldChange",
		"PropertyChanges":          "PropertyChange",
		"Comments":                 "KeyValue",
		"PreviewPublishingTargets": "PublishingTarget",
	}
	xmlObjectMembers = []string{"Item", "Source", "Copy", "DataItem", "Changes", "NextState", "PreviousState"}

	// guidKeys are the keys whose values are GUIDs, which Sitecore sends in
	// 36 lower-case characters with dashes and without braces.
	guidKeys = []string{
		"Id", "ParentId", "TemplateId", "MasterId", "FieldId", "ParentID",
		"OldParentID", "WebhookItemId", "ActionID",
	}
	payloadGUIDForm = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

	// StateIDForm matches a braced upper-case GUID, the form of a StateID
	// taken from a Sitecore state id.
	StateIDForm = regexp.MustCompile(`^\{[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}\}$`)
)

const xsiNamespace = "http://www.w3.org/2001/XMLSchema-instance"

// Shape lists the objects and the scalar values of a JSON or XML
// payload in document order, which decoding into a model loses.
type Shape struct {
	Objects  []ShapeObject
	Values   []ShapeValue
	Elements []ShapeElement
}

// ShapeObject is one object. Its Member is the key whose value is the
// object or the array that contains it, and "" for the root.
type ShapeObject struct {
	Member string
	Keys   []string
}

// ShapeValue is one scalar value, with the key whose value it is.
type ShapeValue struct {
	Key  string
	Text string
	Null bool
}

// ShapeElement is one repeated child element of an XML array.
type ShapeElement struct {
	Array string
	Name  string
}

// ReadShape reads the shape of a JSON payload, or of an XML payload when
// serialization is "xml". It fails the test on a payload it cannot read.
func ReadShape(t testing.TB, serialization string, body []byte) Shape {
	t.Helper()
	var shape Shape
	var err error
	if serialization == "xml" {
		err = shape.readXMLRoot(xml.NewDecoder(bytes.NewReader(body)))
	} else {
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		err = shape.readJSON(dec, "")
	}
	if err != nil {
		t.Fatalf("reading %s payload: %v\n%s", serialization, err, body)
	}
	return shape
}

func (s *Shape) readJSON(dec *json.Decoder, member string) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch tok := tok.(type) {
	case json.Delim:
		if tok == '[' {
			for dec.More() {
				if err := s.readJSON(dec, member); err != nil {
					return err
				}
			}
			_, err := dec.Token()
			return err
		}
		i := len(s.Objects)
		s.Objects = append(s.Objects, ShapeObject{Member: member})
		for dec.More() {
			keyTok, err := dec.Token()
			if err != nil {
				return err
			}
			key := keyTok.(string)
			s.Objects[i].Keys = append(s.Objects[i].Keys, key)
			if err := s.readJSON(dec, key); err != nil {
				return err
			}
		}
		_, err := dec.Token()
		return err
	case nil:
		s.Values = append(s.Values, ShapeValue{Key: member, Null: true})
	default:
		s.Values = append(s.Values, ShapeValue{Key: member, Text: fmt.Sprint(tok)})
	}
	return nil
}

func (s *Shape) readXMLRoot(dec *xml.Decoder) error {
	for {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		if _, ok := tok.(xml.StartElement); ok {
			return s.readXMLObject(dec, "")
		}
	}
}

// readXMLElement reads the element that start opened. Elements named like
// the payload's objects and arrays are read as such. Any other element is a
// scalar, so it must have no child elements.
func (s *Shape) readXMLElement(dec *xml.Decoder, start xml.StartElement) error {
	name := start.Name.Local
	for _, a := range start.Attr {
		if a.Name.Space == xsiNamespace && a.Name.Local == "nil" && a.Value == "true" {
			s.Values = append(s.Values, ShapeValue{Key: name, Null: true})
			return dec.Skip()
		}
	}
	if _, ok := xmlArrayElement[name]; ok {
		return s.readXMLArray(dec, name)
	}
	if slices.Contains(xmlObjectMembers, name) {
		return s.readXMLObject(dec, name)
	}
	var text []byte
	for {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		switch tok := tok.(type) {
		case xml.CharData:
			text = append(text, tok...)
		case xml.StartElement:
			return fmt.Errorf("element %s in scalar %s", tok.Name.Local, name)
		case xml.EndElement:
			s.Values = append(s.Values, ShapeValue{Key: name, Text: string(text)})
			return nil
		}
	}
}

func (s *Shape) readXMLObject(dec *xml.Decoder, member string) error {
	i := len(s.Objects)
	s.Objects = append(s.Objects, ShapeObject{Member: member})
	for {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			s.Objects[i].Keys = append(s.Objects[i].Keys, tok.Name.Local)
			if err := s.readXMLElement(dec, tok); err != nil {
				return err
			}
		case xml.EndElement:
			return nil
		}
	}
}

func (s *Shape) readXMLArray(dec *xml.Decoder, array string) error {
	for {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			s.Elements = append(s.Elements, ShapeElement{Array: array, Name: tok.Name.Local})
			if err := s.readXMLObject(dec, array); err != nil {
				return err
			}
		case xml.EndElement:
			return nil
		}
	}
}

// CheckShape checks that every object has exactly the keys of the
// contract in its order, that GUID-typed values use the payload form, and
// that XML arrays repeat the expected element. rootKeys are the keys of the
// root object.
func CheckShape(t testing.TB, shape Shape, rootKeys []string) {
	t.Helper()
	for _, obj := range shape.Objects {
		want, label := rootKeys, "root"
		if obj.Member != "" {
			want, label = memberKeyOrder[obj.Member], obj.Member
		}
		if !slices.Equal(obj.Keys, want) {
			t.Errorf("%s keys:\n got  %v\n want %v", label, obj.Keys, want)
		}
	}
	checkValuesAndElements(t, shape)
}

// CheckShapeInOrder checks that every object contains only Sitecore's keys
// in Sitecore's order, that GUID-typed values use the payload form, and
// that XML arrays repeat the expected element. rootKeys are the keys the
// root object may have, in order. A key may be missing here, because
// TestEnrichedEventsCarrySitecoreShape and TestEnrichedWorkflowActionDataItem
// in caddymodule/sitecore check the ones that must be there.
func CheckShapeInOrder(t testing.TB, shape Shape, rootKeys []string) {
	t.Helper()
	for _, obj := range shape.Objects {
		order, label := rootKeys, "root"
		if obj.Member != "" {
			order, label = memberKeyOrder[obj.Member], obj.Member
		}
		next := 0
		for _, key := range obj.Keys {
			i := slices.Index(order[next:], key)
			if i < 0 {
				t.Errorf("%s key %q is unknown or out of order: got %v, want order %v", label, key, obj.Keys, order)
				break
			}
			next += i + 1
		}
	}
	checkValuesAndElements(t, shape)
}

// checkValuesAndElements checks that GUID-typed values use the payload form
// and that XML arrays repeat the expected element.
func checkValuesAndElements(t testing.TB, shape Shape) {
	t.Helper()
	for _, v := range shape.Values {
		if slices.Contains(guidKeys, v.Key) && !payloadGUIDForm.MatchString(v.Text) {
			t.Errorf("%s = %q (null %v), want a lower-case dashed GUID without braces", v.Key, v.Text, v.Null)
		}
	}
	for _, e := range shape.Elements {
		if want := xmlArrayElement[e.Array]; e.Name != want {
			t.Errorf("%s contains element <%s>, want <%s>", e.Array, e.Name, want)
		}
	}
}
