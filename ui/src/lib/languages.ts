// Preferred languages offered at the front desk (BCP 47 tags, FHIR Patient.communication). The
// list is the languages most spoken at home in the United States and the United Kingdom
// (US Census Bureau, American Community Survey table C16001; ONS Census 2021, main language),
// with the sign languages; any other tag typed by an administrator is kept and named by the
// runtime (Intl.DisplayNames).

/** [BCP 47 tag, name] in the order offered, English first. */
export const COMMON_LANGUAGES: ReadonlyArray<[string, string]> = [
  ["en", "English"],
  ["es", "Spanish"],
  ["zh", "Chinese (Mandarin)"],
  ["yue", "Chinese (Cantonese)"],
  ["tl", "Tagalog"],
  ["vi", "Vietnamese"],
  ["ar", "Arabic"],
  ["fr", "French"],
  ["ko", "Korean"],
  ["ru", "Russian"],
  ["pt", "Portuguese"],
  ["ht", "Haitian Creole"],
  ["de", "German"],
  ["hi", "Hindi"],
  ["pl", "Polish"],
  ["ro", "Romanian"],
  ["pa", "Punjabi"],
  ["ur", "Urdu"],
  ["bn", "Bengali"],
  ["gu", "Gujarati"],
  ["it", "Italian"],
  ["ja", "Japanese"],
  ["fa", "Persian"],
  ["tr", "Turkish"],
  ["uk", "Ukrainian"],
  ["so", "Somali"],
  ["am", "Amharic"],
  ["ne", "Nepali"],
  ["sw", "Swahili"],
  ["el", "Greek"],
  ["cy", "Welsh"],
  ["ase", "American Sign Language"],
  ["bfi", "British Sign Language"],
];

let names: Intl.DisplayNames | null = null;

/** A language's name for a BCP 47 tag: from the list, else the runtime's, else the tag. */
export function languageName(tag: string): string {
  const known = COMMON_LANGUAGES.find(([t]) => t.toLowerCase() === tag.toLowerCase());
  if (known) return known[1];
  try {
    names ??= new Intl.DisplayNames(["en"], { type: "language" });
    return names.of(tag) ?? tag;
  } catch {
    return tag;
  }
}

/** The model's `is_language_tag`: a 2–3 letter language, then subtags of 2–8 letters or digits. */
export function isLanguageTag(tag: string): boolean {
  return /^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/.test(tag);
}
