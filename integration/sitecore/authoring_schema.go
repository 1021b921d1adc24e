package sitecore

// authoringSchema is the part of the Authoring and Management GraphQL API
// (/sitecore/api/authoring/graphql/v1) that the emulator serves.
//
// Sources for the names:
//   - Sitecore's own Pages end-to-end tests (github.com/helmifirdaus92/Horizon,
//     tests/Sitecore.Pages.E2EFramework.Ui.ApiHelpers/PlatformGraphQL) call
//     copyItem(input: {copyItemName, itemId, targetParentId}),
//     moveItem(input: {itemId, targetParentPath, database}),
//     renameItem(input: {itemId, newName}), addItemVersion(input: {path,
//     language}), deleteItemVersion(input: {itemId, version}) { item },
//     deleteItem(input: {itemId, path}) { successful } and
//     item(where: {path, language, version}) with versions(allLanguages),
//     field(name), children { nodes }, template { templateId name } and
//     workflow { workflowState { final displayName stateId } workflow { displayName } }.
//   - The input type names CreateItemInput, UpdateItemInput, DeleteItemInput,
//     CopyItemInput, MoveItemInput, RenameItemInput and ItemQueryInput, the
//     fields(ownFields, excludeStandardFields) { nodes { name value } }
//     connection and the FieldValueInput members name, value and reset come
//     from mg-aceik/mcp-sitecore-server (src/tools/authoring/tools/items.ts),
//     which states that it copies them from a live endpoint's SDL.
//     AddItemVersionInput {itemId language version versionName},
//     DeleteItemVersionInput, StartWorkflowInput, ItemField.fieldId and
//     fields(withLanguageFallback) appear in other public clients' queries.
//   - executeWorkflowCommand(input: {commandId, comments, item: {itemId,
//     database, language, version}}) { successful error } is BlazorWorkbox's
//     GraphQL/Requests/ExecuteWorkflowCommandRequest.cs.
//   - itemId(format: D) and the default 32-digit form are shown in
//     beingchandra.hashnode.dev's "Deep dive into Sitecore Authoring API".
//
// NOTE: the names GuidFormat, ExecuteWorkflowCommandInput, WorkflowItemInput
// and the *Payload types are the emulator's guesses; no public source shows
// them. Documents rarely name them, because clients pass whole inputs as
// variables of the input type.
const authoringSchema = `
schema { query: Query mutation: Mutation }

"Format specifiers of .NET's Guid.ToString: N is 32 digits, D dashed, B braced, P in parentheses."
enum GuidFormat { N D B P }

type Query {
  item(where: ItemQueryInput): Item
}

type Mutation {
  createItem(input: CreateItemInput!): CreateItemPayload
  updateItem(input: UpdateItemInput!): UpdateItemPayload
  deleteItem(input: DeleteItemInput!): DeleteItemPayload
  renameItem(input: RenameItemInput!): RenameItemPayload
  moveItem(input: MoveItemInput!): MoveItemPayload
  copyItem(input: CopyItemInput!): CopyItemPayload
  addItemVersion(input: AddItemVersionInput!): AddItemVersionPayload
  deleteItemVersion(input: DeleteItemVersionInput!): DeleteItemVersionPayload
  startWorkflow(input: StartWorkflowInput!): StartWorkflowPayload
  executeWorkflowCommand(input: ExecuteWorkflowCommandInput!): ExecuteWorkflowCommandPayload
}

input ItemQueryInput { database: String itemId: ID language: String path: String version: Int }
input FieldValueInput { name: String! value: String reset: Boolean }
input CreateItemInput { database: String fields: [FieldValueInput] language: String name: String! parent: ID! templateId: ID! }
input UpdateItemInput { database: String fields: [FieldValueInput] itemId: ID language: String path: String version: Int }
input DeleteItemInput { database: String itemId: ID path: String permanently: Boolean }
input RenameItemInput { database: String itemId: ID newName: String! path: String }
input MoveItemInput { database: String itemId: ID path: String sortOrder: Int targetParentId: ID targetParentPath: String }
input CopyItemInput { copyItemName: String database: String deepCopy: Boolean itemId: ID path: String targetParentId: ID targetParentPath: String }
input AddItemVersionInput { database: String itemId: ID language: String path: String version: Int versionName: String }
input DeleteItemVersionInput { database: String itemId: ID language: String path: String version: Int }
input WorkflowItemInput { database: String existingVersionOnly: Boolean itemId: ID language: String path: String version: Int }
input StartWorkflowInput { item: WorkflowItemInput! }
input ExecuteWorkflowCommandInput { commandId: ID! comments: String item: WorkflowItemInput! }

type CreateItemPayload { item: Item }
type UpdateItemPayload { item: Item }
type DeleteItemPayload { successful: Boolean! }
type RenameItemPayload { item: Item }
type MoveItemPayload { item: Item }
type CopyItemPayload { item: Item }
type AddItemVersionPayload { item: Item }
type DeleteItemVersionPayload { item: Item successful: Boolean! }
type StartWorkflowPayload { successful: Boolean! }
type ExecuteWorkflowCommandPayload { successful: Boolean! error: String }

type Item {
  itemId(format: GuidFormat): ID!
  name: String!
  displayName: String!
  path: String!
  database: String!
  language: Language!
  version: Int!
  versionName: String
  hasChildren: Boolean!
  template: ItemTemplate!
  parent: Item
  children(first: Int, after: String): ItemConnection!
  fields(ownFields: Boolean = false, excludeStandardFields: Boolean = false, withLanguageFallback: Boolean, first: Int, after: String): ItemFieldConnection!
  field(name: String!): ItemField
  versions(allLanguages: Boolean = false): [Item!]!
  workflow: ItemWorkflow
}

type Language { name: String! }
type ItemTemplate { templateId(format: GuidFormat): ID! name: String! fullName: String! }
type PageInfo { hasNextPage: Boolean! endCursor: String }
type ItemConnection { nodes: [Item!]! pageInfo: PageInfo! totalCount: Int! }
type ItemFieldConnection { nodes: [ItemField!]! pageInfo: PageInfo! totalCount: Int! }
type ItemField { fieldId(format: GuidFormat): ID! name: String! value: String! }
type ItemWorkflow { workflow: Workflow workflowState: WorkflowState }
type Workflow { workflowId(format: GuidFormat): ID! displayName: String! }
type WorkflowState { stateId(format: GuidFormat): ID! displayName: String! final: Boolean! }
`
