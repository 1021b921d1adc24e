package sitecore

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/vektah/gqlparser/v2/ast"
)

// record is a GraphQL object value. A field holds either its value or a
// resolver that computes it from the field's arguments.
type record struct {
	typ    string
	fields map[string]any
}

// resolver computes a field value from the field's coerced arguments.
type resolver func(args map[string]any) (any, error)

func newRecord(typ string, fields map[string]any) *record {
	return &record{typ: typ, fields: fields}
}

func (r *record) resolve(name string, args map[string]any) (any, error) {
	v, ok := r.fields[name]
	if !ok {
		return nil, fmt.Errorf("field %q of type %q is not implemented by the Sitecore emulator", name, r.typ)
	}
	if fn, ok := v.(resolver); ok {
		return fn(args)
	}
	return v, nil
}

// executor runs the selection sets of one validated operation. Validation
// has bound every field to its definition, so arguments can be coerced.
type executor struct {
	schema *ast.Schema
	doc    *ast.QueryDocument
	vars   map[string]any
	errors []graphQLError
}

// fieldGroup is the fields of one response key, merged from fragments.
type fieldGroup struct {
	key    string
	fields []*ast.Field
}

// executeObject resolves the selection set on obj field by field, in
// document order, which runs mutation fields serially as GraphQL requires.
// A failing field becomes null and adds an error with the field's path.
func (ex *executor) executeObject(obj *record, sel ast.SelectionSet, path []any) *orderedObject {
	out := &orderedObject{}
	for _, group := range ex.collectFields(obj.typ, sel, nil) {
		field := group.fields[0]
		fieldPath := append(append([]any(nil), path...), group.key)
		if field.Name == "__typename" {
			out.add(group.key, obj.typ)
			continue
		}

		value, err := ex.resolveField(obj, field)
		if err != nil {
			ex.errors = append(ex.errors, graphQLError{
				Message:   err.Error(),
				Locations: []location{{Line: field.Position.Line, Column: field.Position.Column}},
				Path:      fieldPath,
			})
			out.add(group.key, nil)
			continue
		}

		var subSelection ast.SelectionSet
		for _, f := range group.fields {
			subSelection = append(subSelection, f.SelectionSet...)
		}
		out.add(group.key, ex.complete(value, subSelection, fieldPath))
	}
	return out
}

// resolveField coerces the field's arguments and calls its resolver.
func (ex *executor) resolveField(obj *record, field *ast.Field) (value any, err error) {
	defer func() {
		// ArgumentMap panics on a literal it cannot convert; validation
		// should have rejected such a literal already.
		if p := recover(); p != nil {
			value, err = nil, fmt.Errorf("invalid arguments of field %q: %v", field.Name, p)
		}
	}()
	return obj.resolve(field.Name, field.ArgumentMap(ex.vars))
}

// complete turns a resolved value into its JSON form for the selection.
func (ex *executor) complete(value any, sel ast.SelectionSet, path []any) any {
	switch v := value.(type) {
	case nil:
		return nil
	case *record:
		if v == nil {
			return nil
		}
		return ex.executeObject(v, sel, path)
	case []*record:
		out := make([]any, len(v))
		for i, elem := range v {
			out[i] = ex.complete(elem, sel, append(append([]any(nil), path...), i))
		}
		return out
	default:
		return v
	}
}

// collectFields flattens fragments into field groups keyed by response name,
// in the order the keys first appear.
func (ex *executor) collectFields(typeName string, sel ast.SelectionSet, groups []fieldGroup) []fieldGroup {
	for _, s := range sel {
		switch s := s.(type) {
		case *ast.Field:
			if !ex.included(s.Directives) {
				continue
			}
			groups = addToGroup(groups, s)
		case *ast.InlineFragment:
			if ex.included(s.Directives) && ex.fragmentApplies(s.TypeCondition, typeName) {
				groups = ex.collectFields(typeName, s.SelectionSet, groups)
			}
		case *ast.FragmentSpread:
			fragment := ex.doc.Fragments.ForName(s.Name)
			if fragment != nil && ex.included(s.Directives) && ex.fragmentApplies(fragment.TypeCondition, typeName) {
				groups = ex.collectFields(typeName, fragment.SelectionSet, groups)
			}
		}
	}
	return groups
}

func addToGroup(groups []fieldGroup, f *ast.Field) []fieldGroup {
	for i := range groups {
		if groups[i].key == f.Alias {
			groups[i].fields = append(groups[i].fields, f)
			return groups
		}
	}
	return append(groups, fieldGroup{key: f.Alias, fields: []*ast.Field{f}})
}

// fragmentApplies reports whether a fragment on typeCondition selects fields
// of an object of type typeName.
func (ex *executor) fragmentApplies(typeCondition, typeName string) bool {
	if typeCondition == "" || typeCondition == typeName {
		return true
	}
	def := ex.schema.Types[typeCondition]
	if def == nil {
		return false
	}
	for _, possible := range ex.schema.GetPossibleTypes(def) {
		if possible.Name == typeName {
			return true
		}
	}
	return false
}

// included evaluates the @skip and @include directives.
func (ex *executor) included(directives ast.DirectiveList) bool {
	if d := directives.ForName("skip"); d != nil {
		if skip, _ := d.ArgumentMap(ex.vars)["if"].(bool); skip {
			return false
		}
	}
	if d := directives.ForName("include"); d != nil {
		if include, _ := d.ArgumentMap(ex.vars)["if"].(bool); !include {
			return false
		}
	}
	return true
}

// input is a coerced GraphQL input object. Variables keep their JSON types,
// so numbers arrive as float64 and literals as int64.
type input map[string]any

// inputArg returns the input object passed as argument name; nil when absent.
func inputArg(args map[string]any, name string) input {
	m, _ := args[name].(map[string]any)
	return m
}

func (in input) object(key string) input {
	m, _ := in[key].(map[string]any)
	return m
}

// str returns a string member; "" when absent or null.
func (in input) str(key string) string {
	s, _ := in[key].(string)
	return s
}

// integer returns an Int member and whether it was given.
func (in input) integer(key string) (int, bool) {
	switch v := in[key].(type) {
	case int:
		return v, true
	case int64:
		return int(v), true
	case float64:
		return int(v), true
	case json.Number:
		n, err := v.Int64()
		return int(n), err == nil
	case string:
		n, err := strconv.Atoi(v)
		return n, err == nil
	}
	return 0, false
}

// boolean returns a Boolean member, or def when it is absent or null.
func (in input) boolean(key string, def bool) bool {
	if b, ok := in[key].(bool); ok {
		return b
	}
	return def
}

// fieldInputs reads a [{name, value, reset}] list.
func (in input) fieldInputs(key string) []fieldInput {
	list, _ := in[key].([]any)
	out := make([]fieldInput, 0, len(list))
	for _, elem := range list {
		m := input(asMap(elem))
		out = append(out, fieldInput{name: m.str("name"), value: m.str("value"), reset: m.boolean("reset", false)})
	}
	return out
}

func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}
