/**
 * For TypeORM's command line (`npx typeorm -d dist/ormconfig.js migration:show`): the DataSource of
 * src/db/data-source.ts, from the environment. Opens nothing until initialize(). The code imports src/db/data-source.ts.
 */
import { buildDataSource } from './src/db/data-source';

export { buildDataSource, databaseTarget, MIGRATIONS, type DatabaseTarget, type NephronDataSource } from './src/db/data-source';
export default buildDataSource();
