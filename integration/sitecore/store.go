package sitecore

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

const (
	defaultLanguage = "en"
	defaultDatabase = "master"

	// sitecoreDateFormat is the ISO 8601 basic form in which Sitecore
	// stores date fields such as __Created, e.g. 20240315T101500Z.
	sitecoreDateFormat = "20060102T150405Z"

	// invalidNameChars is the default of Sitecore's InvalidItemNameChars setting.
	invalidNameChars = `\/:?"<>|[]`

	// maxNameLength is the default of Sitecore's MaxItemNameLength setting.
	maxNameLength = 100
)

// store is the emulated master database. Its methods are not safe for
// concurrent use: the Emulator holds its mutex around every request.
type store struct {
	root      *item
	items     map[uuid.UUID]*item
	templates map[uuid.UUID]*template
	workflows []*workflow
	languages []string
	events    []WorkflowEvent
	now       func() time.Time
}

// errNotFound marks errors about a missing item or version. The REST API
// maps them to 404, and the GraphQL APIs to an entry in "errors".
var errNotFound = errors.New("not found")

// fieldInput is one field assignment of a create or update request.
type fieldInput struct {
	name  string
	value string
	reset bool // restore the standard value instead of writing value
}

func newStore(languages []string, now func() time.Time) *store {
	s := &store{
		items:     map[uuid.UUID]*item{},
		templates: map[uuid.UUID]*template{},
		languages: languages,
		now:       now,
	}
	s.seed()
	return s
}

// itemByPath finds an item by its full path. Like Sitecore, it matches names
// case-insensitively and takes the first of several siblings of one name.
func (s *store) itemByPath(path string) *item {
	segments := strings.Split(strings.Trim(strings.TrimSpace(path), "/"), "/")
	if len(segments) == 0 || !strings.EqualFold(segments[0], s.root.name) {
		return nil
	}
	current := s.root
	for _, name := range segments[1:] {
		var next *item
		for _, child := range current.children {
			if strings.EqualFold(child.name, name) {
				next = child
				break
			}
		}
		if next == nil {
			return nil
		}
		current = next
	}
	return current
}

// resolveItem finds an item by ID (any GUID spelling) or by full path.
func (s *store) resolveItem(idOrPath string) (*item, error) {
	if id, err := parseID(idOrPath); err == nil {
		if it := s.items[id]; it != nil {
			return it, nil
		}
		return nil, fmt.Errorf("item %s: %w", braced(id), errNotFound)
	}
	if !strings.HasPrefix(strings.TrimSpace(idOrPath), "/") {
		return nil, fmt.Errorf("invalid item reference %q: expected an item ID or a path starting with /sitecore", idOrPath)
	}
	if it := s.itemByPath(idOrPath); it != nil {
		return it, nil
	}
	return nil, fmt.Errorf("item %q: %w", idOrPath, errNotFound)
}

// language returns the canonical name of a configured language; "" selects
// the default language en.
func (s *store) language(name string) (string, error) {
	if name == "" {
		return defaultLanguage, nil
	}
	for _, lang := range s.languages {
		if strings.EqualFold(lang, name) {
			return lang, nil
		}
	}
	return "", fmt.Errorf("invalid language %q: the emulator knows %s", name, strings.Join(s.languages, ", "))
}

// checkDatabase accepts only the master database, the one that authoring
// requests write to.
func checkDatabase(name string) error {
	if name == "" || strings.EqualFold(name, defaultDatabase) {
		return nil
	}
	return fmt.Errorf("invalid database %q: the emulator has only the master database", name)
}

// checkName applies Sitecore's default item name rules.
func checkName(name string) error {
	switch {
	case strings.TrimSpace(name) == "":
		return errors.New("an item name cannot be blank")
	case strings.ContainsAny(name, invalidNameChars):
		return fmt.Errorf("invalid item name %q: an item name cannot contain any of the characters %s", name, invalidNameChars)
	case name != strings.TrimSpace(name):
		return fmt.Errorf("invalid item name %q: an item name cannot start or end with blanks", name)
	case len(name) > maxNameLength:
		return fmt.Errorf("invalid item name %q: an item name can have at most %d characters", name, maxNameLength)
	}
	return nil
}

// attach inserts it among parent's children at index, or last when index
// is out of range.
func (s *store) attach(it, parent *item, index int) {
	it.parent = parent
	if index < 0 || index > len(parent.children) {
		parent.children = append(parent.children, it)
		return
	}
	parent.children = append(parent.children, nil)
	copy(parent.children[index+1:], parent.children[index:])
	parent.children[index] = it
}

func (s *store) detach(it *item) {
	siblings := it.parent.children
	for i, child := range siblings {
		if child == it {
			it.parent.children = append(siblings[:i:i], siblings[i+1:]...)
			break
		}
	}
	it.parent = nil
}

// stamp records a write to version v as Sitecore's save pipeline does.
func (s *store) stamp(it *item, lang string, v *itemVersion, user string) {
	it.setValue(fieldUpdated, lang, v, s.now().UTC().Format(sitecoreDateFormat))
	it.setValue(fieldUpdatedBy, lang, v, user)
}

// newVersion appends a version to lang, numbered after the highest one, and
// puts it in the initial state of the item's workflow.
func (s *store) newVersion(it *item, lang, user string) *itemVersion {
	number := 1
	if latest := it.version(lang, 0); latest != nil {
		number = latest.number + 1
	}
	v := &itemVersion{number: number, fields: map[uuid.UUID]string{}}
	it.versions[lang] = append(it.versions[lang], v)

	now := s.now().UTC().Format(sitecoreDateFormat)
	it.setValue(fieldCreated, lang, v, now)
	it.setValue(fieldCreatedBy, lang, v, user)
	s.stamp(it, lang, v, user)
	if wf := s.itemWorkflow(it); wf != nil {
		it.setValue(fieldWorkflowState, lang, v, braced(wf.initial.id))
	}
	return v
}

// initFirstVersion gives a new item its template's workflow and version 1.
func (s *store) initFirstVersion(it *item, lang, user string) *itemVersion {
	if wf := it.template.workflow; wf != nil {
		it.setValue(fieldWorkflow, lang, nil, braced(wf.id))
	}
	return s.newVersion(it, lang, user)
}

// checkFields resolves the field names of values against the item's
// template before anything is written, so that a bad name changes nothing.
func checkFields(tpl *template, values []fieldInput) ([]*fieldDef, error) {
	defs := make([]*fieldDef, len(values))
	for i, in := range values {
		f := tpl.fieldByName(in.name)
		if f == nil {
			return nil, fmt.Errorf("invalid field %q: template %q has no such field", in.name, tpl.name)
		}
		defs[i] = f
	}
	return defs, nil
}

func applyFields(it *item, lang string, v *itemVersion, defs []*fieldDef, values []fieldInput) {
	for i, in := range values {
		value := in.value
		if in.reset {
			value = ""
		}
		it.setValue(defs[i], lang, v, value)
	}
}

// createItem adds an item with version 1 in lang below parent.
func (s *store) createItem(parent *item, name string, tpl *template, lang string, values []fieldInput, user string) (*item, *itemVersion, error) {
	if err := checkName(name); err != nil {
		return nil, nil, err
	}
	defs, err := checkFields(tpl, values)
	if err != nil {
		return nil, nil, err
	}

	it := newItem(uuid.New(), name, tpl)
	s.attach(it, parent, -1)
	s.items[it.id] = it
	v := s.initFirstVersion(it, lang, user)
	applyFields(it, lang, v, defs, values)
	return it, v, nil
}

// updateItem writes values to version number (0: the latest) in lang.
func (s *store) updateItem(it *item, lang string, number int, values []fieldInput, user string) (*itemVersion, error) {
	v := it.version(lang, number)
	if v == nil {
		return nil, versionNotFound(it, lang, number)
	}
	defs, err := checkFields(it.template, values)
	if err != nil {
		return nil, err
	}
	applyFields(it, lang, v, defs, values)
	s.stamp(it, lang, v, user)
	return v, nil
}

func versionNotFound(it *item, lang string, number int) error {
	if number == 0 {
		return fmt.Errorf("item %s has no version in language %q: %w", braced(it.id), lang, errNotFound)
	}
	return fmt.Errorf("item %s has no version %d in language %q: %w", braced(it.id), number, lang, errNotFound)
}

// deleteItem removes it and its descendants.
func (s *store) deleteItem(it *item) error {
	if it == s.root {
		return errors.New("the root item /sitecore cannot be deleted")
	}
	s.detach(it)
	var forget func(*item)
	forget = func(n *item) {
		delete(s.items, n.id)
		for _, child := range n.children {
			forget(child)
		}
	}
	forget(it)
	return nil
}

func (s *store) renameItem(it *item, name, lang, user string) error {
	if it == s.root {
		return errors.New("the root item /sitecore cannot be renamed")
	}
	if err := checkName(name); err != nil {
		return err
	}
	it.name = name
	if v := it.version(lang, 0); v != nil {
		s.stamp(it, lang, v, user)
	}
	return nil
}

// moveItem makes target the parent of it, inserting it at index among the
// children (-1: last).
func (s *store) moveItem(it, target *item, index int) error {
	if it == s.root {
		return errors.New("the root item /sitecore cannot be moved")
	}
	if target == it || target.isDescendantOf(it) {
		return fmt.Errorf("item %s cannot be moved below itself", it.path())
	}
	s.detach(it)
	s.attach(it, target, index)
	return nil
}

// renumberChildren rewrites the __Sortorder of parent's children in steps of
// 100, as Sitecore's sorting commands do, so that the order survives reads.
func (s *store) renumberChildren(parent *item) {
	for i, child := range parent.children {
		child.setValue(fieldSortorder, "", nil, strconv.Itoa((i+1)*100))
	}
}

// copyItem copies it below target under a new ID; deep also copies the
// descendants, each under a new ID.
func (s *store) copyItem(it, target *item, name string, deep bool) (*item, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	if target == it || target.isDescendantOf(it) {
		return nil, fmt.Errorf("item %s cannot be copied below itself", it.path())
	}
	dup := s.cloneItem(it, deep)
	dup.name = name
	s.attach(dup, target, -1)
	return dup, nil
}

func (s *store) cloneItem(it *item, deep bool) *item {
	dup := newItem(uuid.New(), it.name, it.template)
	for k, v := range it.shared {
		dup.shared[k] = v
	}
	for lang, values := range it.unversioned {
		dup.unversioned[lang] = copyValues(values)
	}
	for lang, versions := range it.versions {
		for _, v := range versions {
			dup.versions[lang] = append(dup.versions[lang], &itemVersion{number: v.number, name: v.name, fields: copyValues(v.fields)})
		}
	}
	s.items[dup.id] = dup
	if deep {
		for _, child := range it.children {
			s.attach(s.cloneItem(child, true), dup, -1)
		}
	}
	return dup
}

func copyValues(values map[uuid.UUID]string) map[uuid.UUID]string {
	out := make(map[uuid.UUID]string, len(values))
	for k, v := range values {
		out[k] = v
	}
	return out
}

// addVersion adds a version to lang that copies the versioned values of
// version source (0: the latest). A language without versions gets an empty
// version 1.
func (s *store) addVersion(it *item, lang string, source int, versionName, user string) (*itemVersion, error) {
	var from *itemVersion
	if len(it.versions[lang]) > 0 {
		from = it.version(lang, source)
		if from == nil {
			return nil, versionNotFound(it, lang, source)
		}
	}

	v := s.newVersion(it, lang, user)
	if from != nil {
		for id, value := range from.fields {
			if _, stamped := v.fields[id]; !stamped && id != fieldWorkflowState.id {
				v.fields[id] = value
			}
		}
	}
	v.name = versionName
	return v, nil
}

// deleteVersion removes version number (0: the latest) from lang.
func (s *store) deleteVersion(it *item, lang string, number int) error {
	v := it.version(lang, number)
	if v == nil {
		return versionNotFound(it, lang, number)
	}
	versions := it.versions[lang]
	for i, candidate := range versions {
		if candidate == v {
			it.versions[lang] = append(versions[:i:i], versions[i+1:]...)
			break
		}
	}
	if len(it.versions[lang]) == 0 {
		delete(it.versions, lang)
	}
	return nil
}

// writeValues applies the field values of an SSC create or update body,
// keyed by field name, after checking every name.
func (s *store) writeValues(it *item, lang string, v *itemVersion, values map[string]string, user string) error {
	inputs := make([]fieldInput, 0, len(values))
	for name, value := range values {
		inputs = append(inputs, fieldInput{name: name, value: value})
	}
	defs, err := checkFields(it.template, inputs)
	if err != nil {
		return err
	}
	applyFields(it, lang, v, defs, inputs)
	s.stamp(it, lang, v, user)
	return nil
}
