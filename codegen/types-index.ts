import type { EnumModel, MessageModel, SchemaModel } from "./model.js";

/** The messages and enums of one package. */
export interface PackageTypes {
  readonly messages: MessageModel[];
  readonly enums: EnumModel[];
}

/** Messages and enums by full name and by package, for the emitters and the hashes. */
export interface TypeIndex {
  readonly messages: ReadonlyMap<string, MessageModel>;
  readonly enums: ReadonlyMap<string, EnumModel>;
  /** Built once, so per-file work never scans every type of the schema set (that made emit quadratic). */
  readonly byPackage: ReadonlyMap<string, PackageTypes>;
}

export function indexTypes(model: SchemaModel): TypeIndex {
  const byPackage = new Map<string, PackageTypes>();
  const of = (pkg: string): PackageTypes => {
    let entry = byPackage.get(pkg);
    if (entry === undefined) {
      entry = { messages: [], enums: [] };
      byPackage.set(pkg, entry);
    }
    return entry;
  };
  for (const m of model.messages) of(m.package).messages.push(m);
  for (const e of model.enums) of(e.package).enums.push(e);
  return {
    messages: new Map(model.messages.map((m) => [m.fullName, m])),
    enums: new Map(model.enums.map((e) => [e.fullName, e])),
    byPackage,
  };
}

const NO_TYPES: PackageTypes = { messages: [], enums: [] };

export function typesOfPackage(index: TypeIndex, pkg: string): PackageTypes {
  return index.byPackage.get(pkg) ?? NO_TYPES;
}
