package sitecore

import (
	"errors"
	"fmt"
	"strings"
)

// horizonContentFields are the fields of the Pages "Content" interface that
// the emulator serves, a subset of ContentInterfaceGraphType.
const horizonContentFields = `
  id: String!
  name: String!
  displayName: String!
  versionName: String!
  createdBy: String!
  creationDate: String!
  updatedBy: String!
  updatedDate: String!
  template: Template!
  children: [Content!]!
  hasChildren: Boolean!
  version: Int!
  versions: [Content!]!
  icon: String!
  path: String!
  language: String!
  parent: Content
  workflow: WorkflowState
`

// horizonSchema is the part of the Pages (Horizon) GraphQL API that the
// emulator serves. The names follow the Sitecore Pages source code
// published as github.com/helmifirdaus92/Horizon
// (src/Sitecore.Horizon.Integration.GraphQL): HorizonBasicMutations,
// HorizonWorkflowMutations, the *Input and *Output graph types,
// ContentInterfaceGraphType, TemplateGraphType and WorkflowStateGraphType.
// The Pages end-to-end tests there post to
// /sitecore/api/ssc/horizon/query/?sc_horizon=api&sc_headless_mode=api.
//
// NOTE: MovePosition's values are written in GraphQL.NET's constant case
// (BEFORE, INTO, AFTER); the C# enum names them Before, Into and After.
const horizonSchema = `
schema { query: Query mutation: Mutation }

type Query {
  item(path: String!, language: String!, site: String!, version: Int, enableItemFiltering: Boolean): Content
}

type Mutation {
  executeWorkflowCommand(input: ExecuteCommandInput!): ExecuteCommandOutput
  renameItem(input: RenameItemInput!): RenameItemOutput
  moveItem(input: MoveItemInput!): MoveItemOutput
  addItemVersion(input: AddItemVersionInput!): AddItemVersionOutput
}

enum MovePosition { BEFORE INTO AFTER }

input ExecuteCommandInput { language: String! site: String! itemId: String! itemVersion: Int commandId: String! comments: String }
input RenameItemInput { language: String site: String path: String! newName: String! }
input MoveItemInput { site: String! itemToMoveId: String! targetId: String! position: MovePosition! }
input AddItemVersionInput { language: String! site: String! path: String! versionName: String baseVersionNumber: Int }

type ExecuteCommandOutput {
  item: Content!
  completed: Boolean!
  nextStateId: String!
  error: String
  datasourcesCommandResult: [ExecuteCommandOutput]
  pageWorkflowValidationResult: ValidationResult
}
type ValidationResult {
  pageItemResult: ItemValidationResult
  defaultDatasourceItemsResult: [ItemValidationResult]
  personalizedDatasourceItemsResult: [ItemValidationResult]
}
type ItemValidationResult { itemId: String itemName: String itemRulesResult: [ValidationRecord] fieldRulesResult: [FieldValidationResult] }
type FieldValidationResult { fieldName: String fieldItemId: String records: [ValidationRecord] }
type ValidationRecord { validatorResult: String validatorTitle: String validatorDescription: String validatorText: String errors: [String] }
type RenameItemOutput { success: Boolean! item: Content! }
type MoveItemOutput { success: Boolean! }
type AddItemVersionOutput { success: Boolean! item: Content! }

interface Content {` + horizonContentFields + `}
type Item implements Content {` + horizonContentFields + `}
type Folder implements Content {` + horizonContentFields + `}
type Page implements Content {` + horizonContentFields + `}
type Template { id: String! name: String! displayName: String! path: String! }
type WorkflowState { id: String displayName: String finalState: Boolean icon: String canEdit: Boolean commands: [WorkflowCommand] }
type WorkflowCommand { id: String displayName: String }
`

func newHorizonService() *graphQLService {
	return newGraphQLService(horizonSchema, func(c *callContext) (*record, *record) {
		query := newRecord("Query", map[string]any{
			"item": resolver(c.horizonQueryItem),
		})
		mutation := newRecord("Mutation", map[string]any{
			"executeWorkflowCommand": inputResolver(c.horizonExecuteCommand),
			"renameItem":             inputResolver(c.horizonRenameItem),
			"moveItem":               inputResolver(c.horizonMoveItem),
			"addItemVersion":         inputResolver(c.horizonAddItemVersion),
		})
		return query, mutation
	})
}

// horizonError reports a Pages error code, as HorizonGqlError does.
func horizonError(code string) error {
	return errors.New(code)
}

// horizonItem resolves the path argument of Pages, which is an item path or
// an item ID (IHorizonItemHelper.GetItem accepts both).
func (c *callContext) horizonItem(path string) (*item, error) {
	it, err := c.store.resolveItem(path)
	if errors.Is(err, errNotFound) {
		return nil, horizonError("ItemNotFound")
	}
	return it, err
}

func (c *callContext) horizonQueryItem(args map[string]any) (any, error) {
	in := input(args)
	it, err := c.horizonItem(in.str("path"))
	if err != nil {
		return nil, err
	}
	lang, err := c.store.language(in.str("language"))
	if err != nil {
		return nil, err
	}
	number, _ := in.integer("version")
	return c.horizonContent(it, lang, it.version(lang, number)), nil
}

// horizonExecuteCommand runs a workflow command. When the workflow engine
// rejects the command, the result has completed: false and the message in error.
func (c *callContext) horizonExecuteCommand(in input) (any, error) {
	it, err := c.horizonItem(in.str("itemId"))
	if err != nil {
		return nil, err
	}
	lang, err := c.store.language(in.str("language"))
	if err != nil {
		return nil, err
	}
	number, _ := in.integer("itemVersion")
	v := it.version(lang, number)
	if v == nil {
		return nil, horizonError("ItemNotFound")
	}
	commandID, err := parseID(in.str("commandId"))
	if err != nil {
		return nil, fmt.Errorf("InvalidArgument: %w", err)
	}
	if wf, _ := c.store.versionState(it, v); wf == nil {
		// HorizonWorkflowManager raises this as a GraphQL error.
		return nil, errors.New("The item is currently not part of a workflow.")
	}

	result := c.store.executeCommand(it, lang, v, commandID, in.str("comments"), c.user)
	// On failure Sitecore's WorkflowResult carries ID.Null as the next
	// state; that is inferred from its constructors, not observed.
	next := braced(nilID)
	var message any
	if result.succeeded {
		next = braced(result.next.id)
	} else {
		message = result.message
	}
	return newRecord("ExecuteCommandOutput", map[string]any{
		"item":                     c.horizonContent(it, lang, v),
		"completed":                result.succeeded,
		"nextStateId":              next,
		"error":                    message,
		"datasourcesCommandResult": []*record{},
		"pageWorkflowValidationResult": newRecord("ValidationResult", map[string]any{
			"pageItemResult": newRecord("ItemValidationResult", map[string]any{
				"itemId": braced(it.id), "itemName": it.name,
				"itemRulesResult": []*record{}, "fieldRulesResult": []*record{},
			}),
			"defaultDatasourceItemsResult":      []*record{},
			"personalizedDatasourceItemsResult": []*record{},
		}),
	}), nil
}

func (c *callContext) horizonRenameItem(in input) (any, error) {
	it, err := c.horizonItem(in.str("path"))
	if err != nil {
		return nil, err
	}
	lang, err := c.store.language(in.str("language"))
	if err != nil {
		return nil, err
	}
	if err := c.store.renameItem(it, in.str("newName"), lang, c.user); err != nil {
		return nil, err
	}
	return newRecord("RenameItemOutput", map[string]any{
		"success": true,
		"item":    c.horizonContent(it, lang, it.version(lang, 0)),
	}), nil
}

// horizonMoveItem places the item INTO the target (last child), or BEFORE
// or AFTER it among the target's siblings, renumbering their __Sortorder.
func (c *callContext) horizonMoveItem(in input) (any, error) {
	it, err := c.horizonItem(in.str("itemToMoveId"))
	if err != nil {
		return nil, err
	}
	target, err := c.horizonItem(in.str("targetId"))
	if err != nil {
		return nil, err
	}

	position := strings.ToUpper(in.str("position"))
	if position == "INTO" {
		if err := c.store.moveItem(it, target, -1); err != nil {
			return nil, err
		}
		return newRecord("MoveItemOutput", map[string]any{"success": true}), nil
	}
	if target.parent == nil || target == it {
		return nil, fmt.Errorf("InvalidArgument: cannot place item %s %s %s", it.path(), strings.ToLower(position), target.path())
	}
	if err := c.store.moveItem(it, target.parent, -1); err != nil {
		return nil, err
	}
	c.store.detach(it)
	index := indexOf(target.parent.children, target)
	if position == "AFTER" {
		index++
	}
	c.store.attach(it, target.parent, index)
	c.store.renumberChildren(target.parent)
	return newRecord("MoveItemOutput", map[string]any{"success": true}), nil
}

func indexOf(items []*item, it *item) int {
	for i, candidate := range items {
		if candidate == it {
			return i
		}
	}
	return -1
}

func (c *callContext) horizonAddItemVersion(in input) (any, error) {
	it, err := c.horizonItem(in.str("path"))
	if err != nil {
		return nil, err
	}
	lang, err := c.store.language(in.str("language"))
	if err != nil {
		return nil, err
	}
	base, _ := in.integer("baseVersionNumber")
	v, err := c.store.addVersion(it, lang, base, in.str("versionName"), c.user)
	if err != nil {
		return nil, err
	}
	return newRecord("AddItemVersionOutput", map[string]any{
		"success": true,
		"item":    c.horizonContent(it, lang, v),
	}), nil
}
