// Partition type codes. DIB configs write MBR types as a hex byte string ('0x83', '83', 'EF')
// and GPT types as sgdisk's four-digit codes ('EF00', '8300'). sfdisk, which kiln uses on the
// image file, wants the hex byte for MBR and the type GUID for GPT, so the codes are mapped here
// (values from gdisk's parttypes.cc). Pure.

/** sgdisk type code → partition type GUID, for the codes images use. */
export const GPT_TYPE_CODES: Readonly<Record<string, string>> = {
  '0700': 'EBD0A0A2-B9E5-4433-87C0-68B6B72699C7', // Microsoft basic data
  '4100': '9E1A2D38-C612-4316-AA26-8B49521E5A8B', // PowerPC PReP boot
  '8200': '0657FD6D-A4AB-43C4-84E5-0933C84B4F4F', // Linux swap
  '8300': '0FC63DAF-8483-4772-8E79-3D69D8477DE4', // Linux filesystem
  '8302': '933AC7E1-2EB4-4F13-B844-0E14E2AEF915', // Linux /home
  '8303': '44479540-F297-41B2-9AF7-D131D5F0458A', // Linux x86 root (/)
  '8304': '4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709', // Linux x86-64 root (/)
  '8305': 'B921B045-1DF0-41C3-AF44-4C6F280D3FAE', // Linux ARM64 root (/)
  '8306': '3B8F8425-20E0-4F3B-907F-1A25A76F98E8', // Linux /srv
  '8310': '4D21B016-B534-45C2-A9FB-5C16E091FD2D', // Linux /var
  '8311': '7EC6F557-3BC5-4ACA-B293-16EF5DF639D1', // Linux /var/tmp
  '8E00': 'E6D6D379-F507-44C2-A23C-238F2A3DF928', // Linux LVM
  'A504': '516E7CB4-6ECF-11D6-8FF8-00022D09712B', // FreeBSD disklabel
  'EA00': 'BC13C2FF-59E6-4262-A352-B275FD6F7172', // XBOOTLDR (/boot)
  'EF00': 'C12A7328-F81F-11D2-BA4B-00A0C93EC93B', // EFI system partition
  'EF01': '024DEE41-33E7-11D3-9D69-0008C781F39F', // MBR partition scheme
  'EF02': '21686148-6449-6E6F-744E-656564454649', // BIOS boot partition
  'FD00': 'A19D880F-05FC-4D3B-A006-743F0F84911E', // Linux RAID
};

const GUID = /^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$/;

/** The GUID for a GPT type code or GUID; undefined if unknown. */
export function gptTypeGuid(type: string): string | undefined {
  const text = type.trim();
  if (GUID.test(text)) return text.toUpperCase();
  return GPT_TYPE_CODES[text.toUpperCase()];
}

/** The MBR type byte of `'0x83'`, `'83'`, `'ef'`; undefined if it is not one hex byte. */
export function mbrTypeByte(type: string): number | undefined {
  const match = /^(?:0x)?([0-9A-Fa-f]{1,2})$/.exec(type.trim());
  return match ? parseInt(match[1]!, 16) : undefined;
}

/** The sfdisk spelling of an MBR type byte: lower-case hex without 0x (`83`, `ef`, `f`). */
export function sfdiskMbrType(byte: number): string {
  return byte.toString(16);
}
