// `node dist/vm/stage-kiln-main.js TARGET`: copies the kiln this file belongs to (package files
// and production dependencies) into TARGET. The kiln-builder flavour's extra-data.d hook runs
// it to put kiln into the image.
import { kilnRoot, stageKiln } from './kiln-bundle.js';

const target = process.argv[2];
if (!target) {
  process.stderr.write('usage: stage-kiln-main.js TARGET\n');
  process.exitCode = 2;
} else {
  await stageKiln(kilnRoot(), target);
}
