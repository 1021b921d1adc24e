package sitecore

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"
)

// legacySchema is the part of the system content schema of Sitecore's older
// GraphQL service (/sitecore/api/graph/items/master) that the emulator
// serves. Per the Sitecore Stack Exchange answer "Create, update, delete
// items in Sitecore via GraphQL" (questions/29581), the mutations take their
// arguments directly, field values are FieldValueInput objects holding JSON
// inside a string, and createItem returns the item itself. Sitecore's 9.1
// "GraphQL content schema" page shows item(path:) returning a braced ID.
//
// NOTE: updateItem's and deleteItem's argument lists are not shown by those
// sources; the emulator takes path (an item path or ID), language, version
// and fields.
const legacySchema = `
schema { query: Query mutation: Mutation }

type Query {
  item(path: String!, language: String, version: Int): Item
}

type Mutation {
  createItem(name: String!, template: String!, parent: String!, language: String, fields: [FieldValueInput]): Item
  updateItem(path: String!, language: String, version: Int, fields: [FieldValueInput]): Item
  deleteItem(path: String!): Boolean
}

input FieldValueInput { name: String! value: String! }

type Item {
  id(format: String): String!
  name: String!
  displayName: String!
  path: String!
  version: Int!
  language: ItemLanguage!
  template: ItemTemplate!
  parent: Item
  hasChildren: Boolean!
  field(name: String!): ItemField
  fields(ownFields: Boolean = false): [ItemField!]!
}
type ItemLanguage { name: String! }
type ItemTemplate { id(format: String): String! name: String! }
type ItemField { id(format: String): String! name: String! value: String! }
`

func newLegacyService() *graphQLService {
	return newGraphQLService(legacySchema, func(c *callContext) (*record, *record) {
		query := newRecord("Query", map[string]any{
			"item": resolver(c.legacyQueryItem),
		})
		mutation := newRecord("Mutation", map[string]any{
			"createItem": resolver(c.legacyCreateItem),
			"updateItem": resolver(c.legacyUpdateItem),
			"deleteItem": resolver(c.legacyDeleteItem),
		})
		return query, mutation
	})
}

// legacyID resolves an id field: Sitecore's braced upper-case ID form by
// default, or a .NET Guid format when the format argument is given.
func legacyID(id uuid.UUID) resolver {
	return func(args map[string]any) (any, error) {
		if format, _ := args["format"].(string); format != "" {
			return formatGUID(id, format), nil
		}
		return braced(id), nil
	}
}

func (c *callContext) legacyItem(it *item, lang string, v *itemVersion) *record {
	number := 0
	if v != nil {
		number = v.number
	}
	displayName := it.value(fieldDisplayName, lang, v)
	if displayName == "" {
		displayName = it.name
	}
	field := func(f *fieldDef) *record {
		return newRecord("ItemField", map[string]any{"id": legacyID(f.id), "name": f.name, "value": it.value(f, lang, v)})
	}

	return newRecord("Item", map[string]any{
		"id":          legacyID(it.id),
		"name":        it.name,
		"displayName": displayName,
		"path":        it.path(),
		"version":     number,
		"language":    newRecord("ItemLanguage", map[string]any{"name": lang}),
		"template":    newRecord("ItemTemplate", map[string]any{"id": legacyID(it.template.id), "name": it.template.name}),
		"hasChildren": len(it.children) > 0,
		"parent": resolver(func(map[string]any) (any, error) {
			if it.parent == nil {
				return nil, nil
			}
			return c.legacyItem(it.parent, lang, it.parent.version(lang, 0)), nil
		}),
		"field": resolver(func(args map[string]any) (any, error) {
			f := it.template.fieldByName(input(args).str("name"))
			if f == nil {
				return nil, nil
			}
			return field(f), nil
		}),
		"fields": resolver(func(args map[string]any) (any, error) {
			defs := it.template.allFields()
			if input(args).boolean("ownFields", false) {
				defs = it.template.fields
			}
			out := make([]*record, 0, len(defs))
			for _, f := range defs {
				out = append(out, field(f))
			}
			return out, nil
		}),
	})
}

func (c *callContext) legacyQueryItem(args map[string]any) (any, error) {
	in := input(args)
	it, err := c.store.resolveItem(in.str("path"))
	if errors.Is(err, errNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	lang, err := c.store.language(in.str("language"))
	if err != nil {
		return nil, err
	}
	number, _ := in.integer("version")
	return c.legacyItem(it, lang, it.version(lang, number)), nil
}

func (c *callContext) legacyCreateItem(args map[string]any) (any, error) {
	in := input(args)
	parent, err := c.store.resolveItem(in.str("parent"))
	if err != nil {
		return nil, fmt.Errorf("parent: %w", err)
	}
	tplID, err := parseID(in.str("template"))
	if err != nil {
		return nil, fmt.Errorf("invalid template: %w", err)
	}
	tpl := c.store.templates[tplID]
	if tpl == nil {
		return nil, fmt.Errorf("template %s: %w", braced(tplID), errNotFound)
	}
	lang, err := c.store.language(in.str("language"))
	if err != nil {
		return nil, err
	}

	it, v, err := c.store.createItem(parent, in.str("name"), tpl, lang, legacyFieldInputs(in), c.user)
	if err != nil {
		return nil, err
	}
	return c.legacyItem(it, lang, v), nil
}

func (c *callContext) legacyUpdateItem(args map[string]any) (any, error) {
	in := input(args)
	it, err := c.store.resolveItem(in.str("path"))
	if err != nil {
		return nil, err
	}
	lang, err := c.store.language(in.str("language"))
	if err != nil {
		return nil, err
	}
	number, _ := in.integer("version")
	v, err := c.store.updateItem(it, lang, number, legacyFieldInputs(in), c.user)
	if err != nil {
		return nil, err
	}
	return c.legacyItem(it, lang, v), nil
}

func (c *callContext) legacyDeleteItem(args map[string]any) (any, error) {
	it, err := c.store.resolveItem(input(args).str("path"))
	if err != nil {
		return nil, err
	}
	if err := c.store.deleteItem(it); err != nil {
		return nil, err
	}
	return true, nil
}

func legacyFieldInputs(in input) []fieldInput {
	values := in.fieldInputs("fields")
	for i := range values {
		values[i].value = decodeLegacyValue(values[i].value)
	}
	return values
}

// decodeLegacyValue turns a JSON-in-a-string field value of the legacy API
// into the raw stored text. A 'text' in single quotes loses its quotes and
// escapes. A JSON list of strings becomes a pipe-separated list, with IDs in
// braces. Anything else, such as "true" or "5", is stored as sent.
//
// NOTE: Sitecore's exact decoding rules are unpublished; these cover the
// examples of the Stack Exchange answer cited on legacySchema.
func decodeLegacyValue(s string) string {
	trimmed := strings.TrimSpace(s)
	if len(trimmed) >= 2 && trimmed[0] == '\'' && trimmed[len(trimmed)-1] == '\'' {
		return strings.NewReplacer(`\r`, "\r", `\n`, "\n", `\t`, "\t", `\'`, "'", `\"`, `"`, `\\`, `\`).Replace(trimmed[1 : len(trimmed)-1])
	}

	var list []string
	if err := json.Unmarshal([]byte(trimmed), &list); err == nil {
		for i, elem := range list {
			if id, err := parseID(elem); err == nil {
				list[i] = braced(id)
			}
		}
		return strings.Join(list, "|")
	}
	return s
}
