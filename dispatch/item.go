package dispatch

// Item is the item object of a Sitecore webhook payload. It appears as Item,
// Source, Copy and DataItem. The field order is the key order Sitecore sends.
//
// A field that the CMS traffic does not carry stays at its zero value and is
// left out of the JSON, so that no value is invented: a WordPress post has no
// language, and its id is a number rather than a GUID. A field list that is
// known to be empty is sent as [], as Sitecore does, and one that is not
// known (nil) is left out.
type Item struct {
	Language          string  `json:"Language,omitempty"`
	Version           int     `json:"Version,omitempty"`
	ID                string  `json:"Id,omitempty"`
	Name              string  `json:"Name,omitempty"`
	ParentID          string  `json:"ParentId,omitempty"`
	TemplateID        string  `json:"TemplateId,omitempty"`
	TemplateName      string  `json:"TemplateName,omitempty"`
	MasterID          string  `json:"MasterId,omitempty"`
	SharedFields      []Field `json:"SharedFields,omitzero"`
	UnversionedFields []Field `json:"UnversionedFields,omitzero"`
	VersionedFields   []Field `json:"VersionedFields,omitzero"`

	// Path is the item's path in the content tree, such as
	// /sitecore/content/Home/News, when the traffic tells. Sitecore's
	// payload has no path, so it only serves the rules.
	Path string `json:"-"`
}

// Field is one element of SharedFields, UnversionedFields or VersionedFields.
// Value is the raw stored text, never reformatted.
type Field struct {
	ID       string `json:"Id"`
	Value    string `json:"Value"`
	Version  int    `json:"Version,omitempty"`
	Language string `json:"Language,omitempty"`
}

// Changes is the Changes object of an item:saved payload.
type Changes struct {
	FieldChanges              []FieldChange `json:"FieldChanges"`
	PropertyChanges           []any         `json:"PropertyChanges"`
	IsUnversionedFieldChanged bool          `json:"IsUnversionedFieldChanged"`
	IsSharedFieldChanged      bool          `json:"IsSharedFieldChanged"`
}

// FieldChange is the new and, when the sidecar read it before the write, the
// previous raw value of one field.
type FieldChange struct {
	FieldID       string  `json:"FieldId"`
	Value         string  `json:"Value"`
	OriginalValue *string `json:"OriginalValue,omitempty"`
}

// Field returns the value of the field with the given id from any of the
// three field lists, and whether the item has it.
func (it *Item) Field(id string) (string, bool) {
	for _, list := range [][]Field{it.SharedFields, it.UnversionedFields, it.VersionedFields} {
		for _, f := range list {
			if f.ID == id {
				return f.Value, true
			}
		}
	}
	return "", false
}

func (it Item) clone() Item {
	it.SharedFields = append([]Field(nil), it.SharedFields...)
	it.UnversionedFields = append([]Field(nil), it.UnversionedFields...)
	it.VersionedFields = append([]Field(nil), it.VersionedFields...)
	return it
}
