/**
 * The catalog as `npm run build` ships it: validated with the zod schema at build time and written in the
 * domain's own shape, so that a Lambda cold start reads it without loading the schema. A catalog file
 * without this mark (a hand-written JSON or YAML) is validated at start as usual.
 */
import type { Catalog } from '../domain/catalog.js';

/** Marks a catalog file that the build validated; bump it when the {@link Catalog} shape changes. */
export const VALIDATED_CATALOG_MARK = 'foxops-validated-catalog/1';

/** The file `foxops.json` in the Lambda bundle. */
export interface ValidatedCatalogFile {
  mark: typeof VALIDATED_CATALOG_MARK;
  /** The file it was made from, for messages. */
  source: string;
  catalog: Catalog;
}

/** Wraps a catalog that passed validation for the bundle. */
export function validatedCatalogFile(catalog: Catalog, source: string): ValidatedCatalogFile {
  return { mark: VALIDATED_CATALOG_MARK, source, catalog };
}

/** True for a file written by {@link validatedCatalogFile} with this version of the shape. */
export function isValidatedCatalogFile(raw: unknown): raw is ValidatedCatalogFile {
  const file = raw as Partial<ValidatedCatalogFile> | undefined;
  return (
    file?.mark === VALIDATED_CATALOG_MARK &&
    typeof file.catalog === 'object' &&
    Array.isArray(file.catalog?.services) &&
    Array.isArray(file.catalog?.environments)
  );
}
