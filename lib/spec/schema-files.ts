// The schema files shipped in schema/ (editors validate specs with them): their paths and the
// exact text kiln writes, so a test can check the files are what the code validates with.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fuelSchema, kilnSpecSchema } from './schema.js';

/** Each schema file, relative to the repository root, with its text. */
export function schemaFiles(): { path: string; text: string }[] {
  return [
    { path: 'schema/kiln-build-spec.schema.json', text: `${JSON.stringify(kilnSpecSchema(), null, 2)}\n` },
    { path: 'schema/fuel-build-image.schema.json', text: `${JSON.stringify(fuelSchema(), null, 2)}\n` },
  ];
}

/** Writes the schema files under `root` (`npm run schema`). */
export function writeSchemaFiles(root: string): void {
  for (const file of schemaFiles()) writeFileSync(join(root, file.path), file.text);
}
