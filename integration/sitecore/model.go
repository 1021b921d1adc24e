package sitecore

import (
	"sort"
	"strings"

	"github.com/google/uuid"
)

// FieldScope is where Sitecore stores a field's value: once per item
// (shared), once per language (unversioned) or once per version (versioned).
type FieldScope int

const (
	// Versioned fields have a value per language version.
	Versioned FieldScope = iota
	// Unversioned fields have a value per language, shared by its versions.
	Unversioned
	// Shared fields have one value for all languages and versions.
	Shared
)

// String returns the scope's name as Sitecore's template editor shows it.
func (s FieldScope) String() string {
	switch s {
	case Shared:
		return "shared"
	case Unversioned:
		return "unversioned"
	default:
		return "versioned"
	}
}

// Item is a copy of one item of the emulated master database. GUIDs use the
// dashed lower-case form of webhook payloads.
type Item struct {
	ID           string
	Name         string
	Path         string
	ParentID     string // all zeros for the root item /sitecore
	TemplateID   string
	TemplateName string
	MasterID     string // the branch ID; always all zeros, the emulator has no branches

	SharedFields      []FieldValue
	UnversionedFields map[string][]FieldValue  // by language name
	Versions          map[string][]ItemVersion // by language name, ascending by number
}

// ItemVersion is one numbered version of an item in one language.
type ItemVersion struct {
	Language        string
	Number          int
	Name            string // the version name, "" when none was given
	Fields          []FieldValue
	WorkflowStateID string // "" when the item is in no workflow
}

// FieldValue is the raw stored value of one field, as webhook payloads carry it.
type FieldValue struct {
	ID    string
	Name  string
	Scope FieldScope
	Value string
}

// Field returns the value of the field with the given name from a list of
// values, matching the name case-insensitively as Sitecore does.
func Field(values []FieldValue, name string) (string, bool) {
	for _, v := range values {
		if strings.EqualFold(v.Name, name) {
			return v.Value, true
		}
	}
	return "", false
}

// Workflow is a workflow definition.
type Workflow struct {
	ID             string
	Name           string
	InitialStateID string
	States         []WorkflowState
	Commands       []WorkflowCommand
}

// WorkflowState is one state of a workflow definition.
type WorkflowState struct {
	ID          string
	Name        string
	DisplayName string
	Icon        string // relative icon path, e.g. Office/16x16/document_check.png
	Final       bool
}

// WorkflowCommand moves an item version from one state to another.
type WorkflowCommand struct {
	ID          string
	Name        string
	FromStateID string // the state the command item sits under
	ToStateID   string // the command's Next state
}

// WorkflowEvent records one successful workflow command.
type WorkflowEvent struct {
	ItemID          string
	Language        string
	Version         int
	CommandID       string
	PreviousStateID string
	NextStateID     string
	Comments        string
	User            string
}

// fieldDef is a field definition of a template.
type fieldDef struct {
	id    uuid.UUID
	name  string
	scope FieldScope
}

// template is a data template. Every template also inherits the standard
// fields of Sitecore's Standard template.
type template struct {
	id       uuid.UUID
	name     string
	fullName string // the path below /sitecore/templates
	fields   []*fieldDef
	workflow *workflow // the default workflow of new items, nil for none
}

// item is one node of the content tree. Values that a field does not hold
// read as the empty standard value.
type item struct {
	id          uuid.UUID
	name        string
	parent      *item
	children    []*item
	template    *template
	shared      map[uuid.UUID]string
	unversioned map[string]map[uuid.UUID]string // language → field → value
	versions    map[string][]*itemVersion       // language → versions, ascending
}

// itemVersion is one numbered version of an item in one language.
type itemVersion struct {
	number int
	name   string
	fields map[uuid.UUID]string
}

func newItem(id uuid.UUID, name string, tpl *template) *item {
	return &item{
		id:          id,
		name:        name,
		template:    tpl,
		shared:      map[uuid.UUID]string{},
		unversioned: map[string]map[uuid.UUID]string{},
		versions:    map[string][]*itemVersion{},
	}
}

// path returns the item's full path, e.g. /sitecore/content/Home.
func (it *item) path() string {
	var names []string
	for n := it; n != nil; n = n.parent {
		names = append(names, n.name)
	}
	var b strings.Builder
	for i := len(names) - 1; i >= 0; i-- {
		b.WriteString("/")
		b.WriteString(names[i])
	}
	return b.String()
}

// isDescendantOf reports whether it lies below ancestor in the tree.
func (it *item) isDescendantOf(ancestor *item) bool {
	for n := it.parent; n != nil; n = n.parent {
		if n == ancestor {
			return true
		}
	}
	return false
}

// version returns the version with the given number in lang, or the latest
// one when number is 0. It returns nil when there is no such version.
func (it *item) version(lang string, number int) *itemVersion {
	versions := it.versions[lang]
	if len(versions) == 0 {
		return nil
	}
	if number == 0 {
		return versions[len(versions)-1]
	}
	for _, v := range versions {
		if v.number == number {
			return v
		}
	}
	return nil
}

// allFields returns the template's own fields followed by the standard fields.
func (t *template) allFields() []*fieldDef {
	all := make([]*fieldDef, 0, len(t.fields)+len(standardFields))
	all = append(all, t.fields...)
	return append(all, standardFields...)
}

// fieldByName finds a field of the template, matching the name
// case-insensitively as Sitecore's Item.Fields[name] does.
func (t *template) fieldByName(name string) *fieldDef {
	for _, f := range t.allFields() {
		if strings.EqualFold(f.name, name) {
			return f
		}
	}
	return nil
}

// value returns the raw value of f for language lang and version v.
func (it *item) value(f *fieldDef, lang string, v *itemVersion) string {
	switch f.scope {
	case Shared:
		return it.shared[f.id]
	case Unversioned:
		return it.unversioned[lang][f.id]
	default:
		if v == nil {
			return ""
		}
		return v.fields[f.id]
	}
}

// setValue stores value in the slot that f's scope selects. An empty value
// removes the slot, so the field reads as its empty standard value again.
func (it *item) setValue(f *fieldDef, lang string, v *itemVersion, value string) {
	var slot map[uuid.UUID]string
	switch f.scope {
	case Shared:
		slot = it.shared
	case Unversioned:
		if it.unversioned[lang] == nil {
			it.unversioned[lang] = map[uuid.UUID]string{}
		}
		slot = it.unversioned[lang]
	default:
		if v == nil {
			return
		}
		slot = v.fields
	}
	if value == "" {
		delete(slot, f.id)
		return
	}
	slot[f.id] = value
}

// snapshot copies the item into the exported Item type.
func (it *item) snapshot() Item {
	parentID := uuid.Nil
	if it.parent != nil {
		parentID = it.parent.id
	}
	out := Item{
		ID:                it.id.String(),
		Name:              it.name,
		Path:              it.path(),
		ParentID:          parentID.String(),
		TemplateID:        it.template.id.String(),
		TemplateName:      it.template.name,
		MasterID:          uuid.Nil.String(),
		UnversionedFields: map[string][]FieldValue{},
		Versions:          map[string][]ItemVersion{},
	}

	fields := it.template.allFields()
	for _, f := range fields {
		if f.scope == Shared {
			out.SharedFields = append(out.SharedFields, fieldValue(f, it.shared[f.id]))
		}
	}
	for _, lang := range it.languages() {
		var unversioned []FieldValue
		for _, f := range fields {
			if f.scope == Unversioned {
				unversioned = append(unversioned, fieldValue(f, it.unversioned[lang][f.id]))
			}
		}
		out.UnversionedFields[lang] = unversioned

		for _, v := range it.versions[lang] {
			version := ItemVersion{Language: lang, Number: v.number, Name: v.name}
			for _, f := range fields {
				if f.scope == Versioned {
					version.Fields = append(version.Fields, fieldValue(f, v.fields[f.id]))
				}
			}
			if state, err := parseID(v.fields[fieldWorkflowState.id]); err == nil {
				version.WorkflowStateID = state.String()
			}
			out.Versions[lang] = append(out.Versions[lang], version)
		}
	}
	return out
}

// languages returns the languages in which the item has versions or
// unversioned values, sorted by name.
func (it *item) languages() []string {
	seen := map[string]bool{}
	for lang := range it.versions {
		seen[lang] = true
	}
	for lang := range it.unversioned {
		seen[lang] = true
	}
	langs := make([]string, 0, len(seen))
	for lang := range seen {
		langs = append(langs, lang)
	}
	sort.Strings(langs)
	return langs
}

func fieldValue(f *fieldDef, value string) FieldValue {
	return FieldValue{ID: f.id.String(), Name: f.name, Scope: f.scope, Value: value}
}
