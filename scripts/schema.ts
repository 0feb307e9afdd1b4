// `npm run schema`: regenerate schema.graphql from the code (a test fails when the committed file drifts).
import 'reflect-metadata';
import fs from 'node:fs';
import path from 'node:path';
import { schemaSdl } from '../src/resolvers';

schemaSdl().then((sdl) => {
  fs.writeFileSync(path.join(__dirname, '..', 'schema.graphql'), sdl);
  process.stdout.write('schema.graphql written\n');
});
