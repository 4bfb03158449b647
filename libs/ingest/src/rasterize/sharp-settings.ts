import sharp from 'sharp';

/**
 * No libvips operation cache: every page is decoded once (inspection reads the file, rasterizing
 * the stored bytes, so nothing would ever hit it), and the cache would otherwise keep up to 50 MB
 * of decoded pixels for the life of the process. Process-wide; imported by the modules using sharp.
 */
sharp.cache(false);

export { sharp };
