// The loadable segments of an ELF32 little-endian Arm executable: what a
// flash programmer writes (each segment at its physical address, so
// `.data` lands in flash after the code, where cortex-m-rt's start-up
// copies it to SRAM from) and the entry point.

const PT_LOAD = 1;
const EM_ARM = 40;
const ET_EXEC = 2;

export class ElfError extends Error {}

export function readElf(bytes) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const need = (end, what) => {
    if (end > bytes.byteLength) throw new ElfError(`truncated ELF: ${what} past the end of the file`);
  };
  need(52, 'the header');
  if (view.getUint32(0, false) !== 0x7f454c46) throw new ElfError('not an ELF file');
  if (bytes[4] !== 1 || bytes[5] !== 1) throw new ElfError('not a 32-bit little-endian ELF');
  if (view.getUint16(16, true) !== ET_EXEC) throw new ElfError('not an executable');
  if (view.getUint16(18, true) !== EM_ARM) throw new ElfError('not an Arm executable');
  const entry = view.getUint32(24, true);
  const phoff = view.getUint32(28, true);
  const phentsize = view.getUint16(42, true);
  const phnum = view.getUint16(44, true);
  if (phentsize < 32) throw new ElfError('program headers too small');
  need(phoff + phnum * phentsize, 'the program headers');
  const segments = [];
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * phentsize;
    if (view.getUint32(at, true) !== PT_LOAD) continue;
    const offset = view.getUint32(at + 4, true);
    const vaddr = view.getUint32(at + 8, true);
    const paddr = view.getUint32(at + 12, true);
    const filesz = view.getUint32(at + 16, true);
    const memsz = view.getUint32(at + 20, true);
    if (filesz === 0) continue; // .bss: zeroed by the start-up code
    need(offset + filesz, `segment ${i}`);
    segments.push({ vaddr, paddr, memsz, data: bytes.subarray(offset, offset + filesz) });
  }
  return { entry, segments };
}
