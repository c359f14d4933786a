'use strict';
// What the bundle gives mysql2 as 'iconv-lite'. mysql2 asks iconv-lite for a cesu8 decoder to read
// every server greeting and utf8mb3 column, and iconv-lite answers by building its whole encoding
// table (code pages, CJK tables: ~500 kB of code). CESU-8 is UTF-8 except for characters outside
// the BMP, which it writes as two 3-byte surrogates (0xED 0xA0..0xBF ...). So text without an
// 0xED byte is decoded here with Node's UTF-8 decoder; anything else, and every other charset,
// goes to the real iconv-lite, loaded from node_modules on first use.
const { StringDecoder } = require('node:string_decoder');

let real;
const iconv = () => (real ??= require('iconv-lite'));
const canonical = (encoding) => String(encoding).toLowerCase().replace(/:\d{4}$|[^0-9a-z]/g, '');
const SURROGATE_LEAD = 0xed;

class Cesu8Decoder {
  constructor(options) {
    this.options = options;
    this.utf8 = new StringDecoder('utf8');
    this.fallback = undefined;
    this.atStart = true;
  }
  write(buf) {
    if (this.fallback || (this.atStart && buf.includes(SURROGATE_LEAD))) {
      this.fallback ??= iconv().getDecoder('cesu8', this.options);
      return this.fallback.write(buf);
    }
    let text = this.utf8.write(buf);
    // iconv-lite strips a leading BOM for BOM-aware codecs such as cesu8; so do we.
    if (this.atStart && text.length > 0 && !(this.options && this.options.stripBOM === false) && text.charCodeAt(0) === 0xfeff) {
      text = text.slice(1);
    }
    this.atStart = false;
    return text;
  }
  end() {
    // mysql2 reuses a decoder for many values: each end() starts the next one afresh.
    const rest = this.fallback ? this.fallback.end() : this.utf8.end();
    this.fallback = undefined;
    this.atStart = true;
    return rest || undefined;
  }
}

module.exports = {
  getDecoder: (encoding, options) => (canonical(encoding) === 'cesu8' ? new Cesu8Decoder(options) : iconv().getDecoder(encoding, options)),
  getEncoder: (encoding, options) => iconv().getEncoder(encoding, options),
  decode: (buf, encoding, options) => iconv().decode(buf, encoding, options),
  encode: (str, encoding, options) => iconv().encode(str, encoding, options),
  encodingExists: (encoding) => iconv().encodingExists(encoding),
};
