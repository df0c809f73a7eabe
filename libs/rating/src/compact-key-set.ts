/**
 * A set of composite keys (a few strings joined) held off the JavaScript heap: each key's UTF-8 bytes
 * in one growing arena, found through an open-addressing table of typed arrays. Millions of keys cost
 * about their bytes plus 8 bytes each, and nothing for the garbage collector to trace; a `Set` of
 * joined strings costs several times that, all of it traced on every full collection.
 * Exact: keys are compared byte for byte, the hash only narrows the search.
 */
export class CompactKeySet {
  /** Arena offset + 1 of each slot's key; 0 empty, -1 deleted. */
  private slots: Int32Array;
  private hashes: Uint32Array;
  private arena: Buffer;
  private used = 0;
  private live = 0;
  private filled = 0;
  private scratch = Buffer.allocUnsafe(1024);
  private scratchLength = 0;

  constructor(capacity = 1 << 16) {
    let size = 16;
    while (size < capacity * 2) size *= 2;
    this.slots = new Int32Array(size);
    this.hashes = new Uint32Array(size);
    this.arena = Buffer.allocUnsafe(Math.max(1024, capacity * 32));
  }

  get size(): number {
    return this.live;
  }

  has(a: string, b: string, c?: string, d?: string): boolean {
    this.encode(a, b, c, d);
    return this.find(this.hash()) >= 0;
  }

  /** Adds the key; false when it was already there. */
  add(a: string, b: string, c?: string, d?: string): boolean {
    this.encode(a, b, c, d);
    const h = this.hash();
    if (this.find(h) >= 0) return false;
    if ((this.filled + 1) * 4 > this.slots.length * 3) this.grow();
    this.insert(h, this.store());
    return true;
  }

  /** Removes the key; false when it was not there. */
  delete(a: string, b: string, c?: string, d?: string): boolean {
    this.encode(a, b, c, d);
    const slot = this.find(this.hash());
    if (slot < 0) return false;
    this.slots[slot] = -1;
    this.live--;
    return true;
  }

  /**
   * Where the next key added will be stored: the keys added from one mark to another are a range, and
   * `deleteRange` removes them without anyone keeping them (a rolled-back transaction's keys).
   */
  get mark(): number {
    return this.used;
  }

  /** Removes the keys added between two marks (those still there). */
  deleteRange(from: number, to: number): void {
    const a = this.arena;
    for (let at = from; at < to; at += 4 + readLength(a, at)) {
      const h = fnv1a(a, at + 4, readLength(a, at));
      const mask = this.slots.length - 1;
      for (let i = h & mask; ; i = (i + 1) & mask) {
        const slot = this.slots[i]!;
        if (slot === 0) break;
        if (slot === at + 1) {
          this.slots[i] = -1;
          this.live--;
          break;
        }
      }
    }
  }

  /** The parts' UTF-8 bytes, each after its length (so no two lists of parts encode alike). */
  private encode(a: string, b: string, c: string | undefined, d: string | undefined): void {
    const bound = (a.length + b.length + (c?.length ?? 0) + (d?.length ?? 0)) * 3 + 16;
    if (bound > this.scratch.length) this.scratch = Buffer.allocUnsafe(bound * 2);
    let off = this.put(a, 0);
    off = this.put(b, off);
    if (c !== undefined) off = this.put(c, off);
    if (d !== undefined) off = this.put(d, off);
    this.scratchLength = off;
  }

  /** One part at `off`: its byte length (4 bytes), then its bytes. ASCII is copied by hand. */
  private put(part: string, off: number): number {
    const s = this.scratch;
    const n = part.length;
    let o = off + 4;
    let ascii = true;
    for (let i = 0; i < n; i++) {
      const code = part.charCodeAt(i);
      if (code >= 0x80) {
        ascii = false;
        break;
      }
      s[o++] = code;
    }
    const bytes = ascii ? n : s.write(part, off + 4, 'utf8');
    writeLength(s, off, bytes);
    return off + 4 + bytes;
  }

  /** The encoded key's hash. */
  private hash(): number {
    return fnv1a(this.scratch, 0, this.scratchLength);
  }

  private find(h: number): number {
    const mask = this.slots.length - 1;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const at = this.slots[i]!;
      if (at === 0) return -1;
      if (at > 0 && this.hashes[i] === h && this.equals(at - 1)) return i;
    }
  }

  private equals(at: number): boolean {
    const a = this.arena;
    if (readLength(a, at) !== this.scratchLength) return false;
    const length = this.scratchLength;
    const s = this.scratch;
    for (let i = 0; i < length; i++) if (a[at + 4 + i] !== s[i]) return false;
    return true;
  }

  private store(): number {
    const need = 4 + this.scratchLength;
    if (this.used + need > this.arena.length) {
      const bigger = Buffer.allocUnsafe(Math.max(this.arena.length * 2, this.used + need));
      this.arena.copy(bigger, 0, 0, this.used);
      this.arena = bigger;
    }
    const at = this.used;
    const a = this.arena;
    const s = this.scratch;
    const length = this.scratchLength;
    writeLength(a, at, length);
    // Keys are tens of bytes: a loop costs less than Buffer#copy's call into C++.
    for (let i = 0; i < length; i++) a[at + 4 + i] = s[i]!;
    this.used += need;
    return at;
  }

  private insert(h: number, at: number): void {
    const mask = this.slots.length - 1;
    let i = h & mask;
    while (this.slots[i]! > 0) i = (i + 1) & mask;
    if (this.slots[i] === 0) this.filled++;
    this.slots[i] = at + 1;
    this.hashes[i] = h;
    this.live++;
  }

  /** Twice the slots, without the deleted ones (their bytes stay in the arena: deletes are rare undos). */
  private grow(): void {
    const slots = this.slots;
    const hashes = this.hashes;
    this.slots = new Int32Array(slots.length * 2);
    this.hashes = new Uint32Array(slots.length * 2);
    this.filled = 0;
    this.live = 0;
    for (let i = 0; i < slots.length; i++) if (slots[i]! > 0) this.insert(hashes[i]!, slots[i]! - 1);
  }
}

/** FNV-1a over `length` bytes from `from`: the hash of an encoded key, in the scratch buffer or the arena. */
function fnv1a(b: Buffer, from: number, length: number): number {
  let h = 0x811c9dc5;
  for (let i = from; i < from + length; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
  return h >>> 0;
}

/** A key's byte length, little-endian, as the arena holds it (by hand: Buffer's checked accessors cost more per key). */
function writeLength(b: Buffer, at: number, length: number): void {
  b[at] = length & 0xff;
  b[at + 1] = (length >>> 8) & 0xff;
  b[at + 2] = (length >>> 16) & 0xff;
  b[at + 3] = length >>> 24;
}

function readLength(b: Buffer, at: number): number {
  return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16)) + b[at + 3]! * 0x1000000;
}
