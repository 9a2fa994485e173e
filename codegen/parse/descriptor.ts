/**
 * The part of google.protobuf.FileDescriptorProto (in its JSON form, as `buf build -o x.json` writes it) that
 * mqgen reads, and source-info lookups: protoc records a span for every declaration by its descriptor path.
 */

export interface OptionsJson {
  readonly deprecated?: boolean;
  readonly mapEntry?: boolean;
  readonly allowAlias?: boolean;
  readonly packed?: boolean;
  readonly features?: { readonly fieldPresence?: string; readonly repeatedFieldEncoding?: string };
  readonly [custom: string]: unknown;
}

export interface FieldDescriptor {
  readonly name: string;
  /** Set on extensions: the options message they extend (`.google.protobuf.MethodOptions`). */
  readonly extendee?: string;
  readonly number: number;
  readonly label?: "LABEL_OPTIONAL" | "LABEL_REQUIRED" | "LABEL_REPEATED";
  readonly type: string;
  readonly typeName?: string;
  readonly jsonName?: string;
  readonly defaultValue?: string;
  readonly oneofIndex?: number;
  readonly proto3Optional?: boolean;
  readonly options?: OptionsJson;
}

export interface MessageDescriptor {
  readonly name: string;
  readonly field?: readonly FieldDescriptor[];
  readonly nestedType?: readonly MessageDescriptor[];
  readonly enumType?: readonly EnumDescriptor[];
  readonly oneofDecl?: readonly { readonly name: string }[];
  readonly reservedRange?: readonly { readonly start: number; readonly end: number }[];
  readonly reservedName?: readonly string[];
  readonly extensionRange?: readonly unknown[];
  /** `extend` blocks nested in the message. */
  readonly extension?: readonly FieldDescriptor[];
  readonly options?: OptionsJson;
}

export interface EnumDescriptor {
  readonly name: string;
  readonly value?: readonly { readonly name: string; readonly number?: number; readonly options?: OptionsJson }[];
  /** Inclusive, unlike a message's. */
  readonly reservedRange?: readonly { readonly start: number; readonly end: number }[];
  readonly reservedName?: readonly string[];
  readonly options?: OptionsJson;
}

export interface MethodDescriptor {
  readonly name: string;
  readonly inputType: string;
  readonly outputType: string;
  readonly clientStreaming?: boolean;
  readonly serverStreaming?: boolean;
  readonly options?: OptionsJson;
}

export interface ServiceDescriptor {
  readonly name: string;
  readonly method?: readonly MethodDescriptor[];
  readonly options?: OptionsJson;
}

export interface SourceLocation {
  readonly path?: readonly number[];
  /** [startLine, startCol, endLine, endCol] or [startLine, startCol, endCol], 0-based. */
  readonly span: readonly number[];
  readonly leadingComments?: string;
  readonly trailingComments?: string;
}

export interface FileDescriptor {
  readonly name: string;
  readonly package?: string;
  readonly dependency?: readonly string[];
  readonly syntax?: string;
  readonly edition?: string;
  readonly messageType?: readonly MessageDescriptor[];
  readonly enumType?: readonly EnumDescriptor[];
  readonly service?: readonly ServiceDescriptor[];
  readonly extension?: readonly FieldDescriptor[];
  readonly options?: OptionsJson;
  readonly sourceCodeInfo?: { readonly location?: readonly SourceLocation[] };
}

/** Field numbers of the descriptor messages, as they appear in source-info paths. */
export const PATH = {
  fileMessage: 4,
  fileEnum: 5,
  fileService: 6,
  messageField: 2,
  messageNested: 3,
  messageEnum: 4,
  enumValue: 2,
  serviceMethod: 2,
  name: 1,
  fieldNumber: 3,
  fieldJsonName: 10,
  methodOptions: 4,
  messageOptions: 7,
} as const;

/** Source info decoded only when its file is read (image.ts), so every file's locations are never alive at once. */
const lazySourceInfo = new WeakMap<FileDescriptor, () => readonly SourceLocation[]>();

export function attachSourceInfo(file: FileDescriptor, locations: () => readonly SourceLocation[]): void {
  lazySourceInfo.set(file, locations);
}

/** A file's source locations, from its JSON form or decoded now from its image's bytes. */
export function sourceLocations(file: FileDescriptor): readonly SourceLocation[] {
  return file.sourceCodeInfo?.location ?? lazySourceInfo.get(file)?.() ?? [];
}

/** Source info of one file, by path (`4,0,2,1` → the second field of the first message). */
export class SourceInfo {
  private readonly byPath = new Map<string, SourceLocation>();

  constructor(file: FileDescriptor) {
    for (const location of sourceLocations(file)) {
      const key = (location.path ?? []).join(",");
      // protoc lists a path once per occurrence; the first is the declaration.
      if (!this.byPath.has(key)) this.byPath.set(key, location);
    }
  }

  has(path: readonly number[]): boolean {
    return this.byPath.has(path.join(","));
  }

  /** 1-based line and column where the element at `path` starts, if recorded. */
  position(path: readonly number[]): { line: number; col: number } | undefined {
    const span = this.byPath.get(path.join(","))?.span;
    return span && span.length >= 3 ? { line: (span[0] ?? 0) + 1, col: (span[1] ?? 0) + 1 } : undefined;
  }

  /** The comment protoc attaches to the element: leading, else trailing; markers and edges trimmed. */
  comment(path: readonly number[]): string {
    const location = this.byPath.get(path.join(","));
    const text = location?.leadingComments ?? location?.trailingComments ?? "";
    return text
      .split("\n")
      .map((line) => line.replace(/^ /, "").trimEnd())
      .join("\n")
      .trim();
  }
}
