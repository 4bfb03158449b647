/** Just enough of OpenAPI 3.0 to check the app's document and to check answers against its schemas. */

export interface Schema {
  $ref?: string;
  type?: string;
  format?: string;
  nullable?: boolean;
  enum?: unknown[];
  required?: string[];
  properties?: Record<string, Schema>;
  additionalProperties?: boolean | Schema;
  items?: Schema;
  allOf?: Schema[];
}

export interface MediaType {
  schema?: Schema;
}

export interface Operation {
  summary?: string;
  parameters?: Array<{ name: string; in: string }>;
  requestBody?: unknown;
  responses: Record<string, { description?: string; content?: Record<string, MediaType> }>;
  security?: Array<Record<string, string[]>>;
}

export interface OpenApiDocument {
  info: { license?: { name: string } };
  servers?: Array<{ url: string }>;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema>; securitySchemes?: Record<string, unknown> };
}

export const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch'];

/** Every operation as `METHOD /path` (the path as the document writes it, `{id}`). */
export function operationsOf(document: OpenApiDocument): Array<[string, Operation]> {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => HTTP_METHODS.includes(method))
      .map(([method, operation]): [string, Operation] => [`${method.toUpperCase()} ${path}`, operation]),
  );
}

/**
 * Where `value` does not match `schema` (an empty list when it does): types, formats of numbers,
 * nullability, enums, required and undeclared members (unless additionalProperties), array items.
 */
export function mismatches(document: OpenApiDocument, schema: Schema, value: unknown, at = '$'): string[] {
  if (schema.$ref) {
    const target = document.components.schemas[schema.$ref.replace('#/components/schemas/', '')];
    return target ? mismatches(document, target, value, at) : [`${at}: unresolved ${schema.$ref}`];
  }
  if (value === null) return schema.nullable ? [] : [`${at}: null, not nullable`];
  if (schema.allOf) return schema.allOf.flatMap((part) => mismatches(document, part, value, at));
  if (schema.enum && !schema.enum.includes(value)) return [`${at}: ${JSON.stringify(value)} not in ${JSON.stringify(schema.enum)}`];
  switch (schema.type) {
    case 'string':
      return typeof value === 'string' ? [] : [`${at}: not a string`];
    case 'integer':
      return Number.isInteger(value) ? [] : [`${at}: not an integer`];
    case 'number':
      return typeof value === 'number' ? [] : [`${at}: not a number`];
    case 'boolean':
      return typeof value === 'boolean' ? [] : [`${at}: not a boolean`];
    case 'array':
      return Array.isArray(value)
        ? value.flatMap((item, i) => (schema.items ? mismatches(document, schema.items, item, `${at}[${i}]`) : []))
        : [`${at}: not an array`];
    case 'object':
    case undefined: {
      if (typeof value !== 'object' || Array.isArray(value)) return schema.type ? [`${at}: not an object`] : [];
      const record = value as Record<string, unknown>;
      const properties = schema.properties ?? {};
      const problems = (schema.required ?? []).filter((name) => !(name in record)).map((name) => `${at}.${name}: missing`);
      for (const [name, member] of Object.entries(record)) {
        if (properties[name]) problems.push(...mismatches(document, properties[name], member, `${at}.${name}`));
        else if (typeof schema.additionalProperties === 'object') problems.push(...mismatches(document, schema.additionalProperties, member, `${at}.${name}`));
        else if (schema.additionalProperties !== true) problems.push(`${at}.${name}: not in the schema`);
      }
      return problems;
    }
    default:
      return [`${at}: unknown type ${schema.type}`];
  }
}

/**
 * Where an answer departs from what the document says `route` (as a controller declares it, e.g.
 * `GET /api/records/:id`) answers: an undeclared status or content type, or a JSON body its schema
 * does not describe. An empty list when the document tells the truth.
 */
export function answerMismatches(
  document: OpenApiDocument,
  route: string,
  answer: { status: number; contentType: string; body: unknown; raw: Buffer },
): string[] {
  const [method, path] = route.split(' ');
  const operation = document.paths[path.replace(/:([A-Za-z]+)/g, '{$1}')]?.[method.toLowerCase()];
  if (!operation) return [`${route}: not in the document`];
  const response = operation.responses[String(answer.status)];
  if (!response) return [`${route}: answered ${answer.status}, which the document does not declare`];
  if (answer.status === 204) return response.content ? [`${route}: 204 with content declared`] : [];
  const mediaType = answer.contentType.split(';')[0].trim();
  const declared = response.content?.[mediaType];
  if (!declared) return [`${route}: answered ${answer.status} as ${mediaType}, which the document does not declare`];
  if (!/json/.test(mediaType) || !declared.schema) return [];
  return mismatches(document, declared.schema, answer.body).map((problem) => `${route} ${answer.status}: ${problem}`);
}
