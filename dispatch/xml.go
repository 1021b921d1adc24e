package dispatch

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
)

// ContentTypeXML is the Content-Type of XML payloads, without parameters,
// because receivers written for Sitecore compare it literally.
const ContentTypeXML = "application/xml"

// xmlItemNames names the elements of arrays in XML payloads, after the
// type of their items. Sitecore documents no XML sample of a payload, so
// this follows the JSON keys and the usual XmlSerializer habit of naming
// list items after their type.
var xmlItemNames = map[string]string{
	"SharedFields":             "Field",
	"UnversionedFields":        "Field",
	"VersionedFields":          "Field",
	"FieldChanges":             "FieldChange",
	"PropertyChanges":          "PropertyChange",
	"Comments":                 "KeyValue",
	"PreviewPublishingTargets": "PublishingTarget",
}

// xsiNamespace marks null values as xsi:nil, which XmlSerializer reads as
// null.
const xsiNamespace = "http://www.w3.org/2001/XMLSchema-instance"

// jsonToXML turns a JSON payload into XML under the root element: object
// members become child elements in the same order, array items elements
// named by xmlItemNames, and null an empty element with xsi:nil="true".
func jsonToXML(root string, payload []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	enc := xml.NewEncoder(&buf)
	start := xml.StartElement{Name: xml.Name{Local: root}, Attr: []xml.Attr{{Name: xml.Name{Local: "xmlns:xsi"}, Value: xsiNamespace}}}
	if err := writeXMLValue(dec, enc, start); err != nil {
		return nil, fmt.Errorf("encoding XML: %v", err)
	}
	if err := enc.Flush(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func writeXMLValue(dec *json.Decoder, enc *xml.Encoder, start xml.StartElement) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch t := tok.(type) {
	case json.Delim:
		if err := enc.EncodeToken(start); err != nil {
			return err
		}
		if t == '{' {
			for dec.More() {
				keyTok, err := dec.Token()
				if err != nil {
					return err
				}
				key, _ := keyTok.(string)
				if err := writeXMLValue(dec, enc, xml.StartElement{Name: xml.Name{Local: key}}); err != nil {
					return err
				}
			}
		} else {
			item := xmlItemNames[start.Name.Local]
			if item == "" {
				item = "Item"
			}
			for dec.More() {
				if err := writeXMLValue(dec, enc, xml.StartElement{Name: xml.Name{Local: item}}); err != nil {
					return err
				}
			}
		}
		if _, err := dec.Token(); err != nil && err != io.EOF {
			return err
		}
		return enc.EncodeToken(start.End())
	case nil:
		start.Attr = append(start.Attr, xml.Attr{Name: xml.Name{Local: "xsi:nil"}, Value: "true"})
		if err := enc.EncodeToken(start); err != nil {
			return err
		}
		return enc.EncodeToken(start.End())
	default:
		if err := enc.EncodeToken(start); err != nil {
			return err
		}
		if err := enc.EncodeToken(xml.CharData(fmt.Sprint(t))); err != nil {
			return err
		}
		return enc.EncodeToken(start.End())
	}
}
