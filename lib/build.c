/* SPDX-License-Identifier: MIT */
/*
 * build.c - the usual message in a few calls, on top of the tree editing
 * functions (edit.c): media types by file name, text and HTML bodies,
 * inline parts, attachments, stripping attachments, reply and forward.
 *
 * Nothing here writes MIME by hand: parts are made with mf_part_new*,
 * described with mf_part_header_set and moved with mf_part_insert /
 * mf_part_replace, so the writer (write.c) is the only serialiser.
 */
#include "build.h"
#include "mime.h"

/* ---------------------------------------------------------------------- */
/* Media types by extension                                               */
/* ---------------------------------------------------------------------- */

/*
 * Sorted by extension (strcmp order, all lower case; test_build checks
 * it). IANA registrations where there is one, else the names mail
 * programs use.
 */
static const struct mf__mtype mtypes[] = {
	{ "3gp", "video/3gpp" },
	{ "7z", "application/x-7z-compressed" },
	{ "aac", "audio/aac" },
	{ "avi", "video/x-msvideo" },
	{ "avif", "image/avif" },
	{ "bin", "application/octet-stream" },
	{ "bmp", "image/bmp" },
	{ "bz2", "application/x-bzip2" },
	{ "css", "text/css" },
	{ "csv", "text/csv" },
	{ "dmg", "application/x-apple-diskimage" },
	{ "doc", "application/msword" },
	{ "docx", "application/vnd.openxmlformats-officedocument."
		  "wordprocessingml.document" },
	{ "eml", "message/rfc822" },
	{ "eot", "application/vnd.ms-fontobject" },
	{ "epub", "application/epub+zip" },
	{ "exe", "application/vnd.microsoft.portable-executable" },
	{ "flac", "audio/flac" },
	{ "gif", "image/gif" },
	{ "gz", "application/gzip" },
	{ "heic", "image/heic" },
	{ "heif", "image/heif" },
	{ "htm", "text/html" },
	{ "html", "text/html" },
	{ "ico", "image/vnd.microsoft.icon" },
	{ "ics", "text/calendar" },
	{ "iso", "application/x-iso9660-image" },
	{ "jar", "application/java-archive" },
	{ "jpeg", "image/jpeg" },
	{ "jpg", "image/jpeg" },
	{ "js", "text/javascript" },
	{ "json", "application/json" },
	{ "log", "text/plain" },
	{ "m4a", "audio/mp4" },
	{ "m4v", "video/mp4" },
	{ "md", "text/markdown" },
	{ "mid", "audio/midi" },
	{ "midi", "audio/midi" },
	{ "mjs", "text/javascript" },
	{ "mkv", "video/x-matroska" },
	{ "mov", "video/quicktime" },
	{ "mp3", "audio/mpeg" },
	{ "mp4", "video/mp4" },
	{ "mpeg", "video/mpeg" },
	{ "mpg", "video/mpeg" },
	{ "msg", "application/vnd.ms-outlook" },
	{ "odg", "application/vnd.oasis.opendocument.graphics" },
	{ "odp", "application/vnd.oasis.opendocument.presentation" },
	{ "ods", "application/vnd.oasis.opendocument.spreadsheet" },
	{ "odt", "application/vnd.oasis.opendocument.text" },
	{ "oga", "audio/ogg" },
	{ "ogg", "audio/ogg" },
	{ "ogv", "video/ogg" },
	{ "opus", "audio/ogg" },
	{ "otf", "font/otf" },
	{ "p7m", "application/pkcs7-mime" },
	{ "p7s", "application/pkcs7-signature" },
	{ "pdf", "application/pdf" },
	{ "png", "image/png" },
	{ "ppt", "application/vnd.ms-powerpoint" },
	{ "pptx", "application/vnd.openxmlformats-officedocument."
		  "presentationml.presentation" },
	{ "ps", "application/postscript" },
	{ "rar", "application/vnd.rar" },
	{ "rtf", "application/rtf" },
	{ "sh", "application/x-sh" },
	{ "svg", "image/svg+xml" },
	{ "tar", "application/x-tar" },
	{ "tgz", "application/gzip" },
	{ "tif", "image/tiff" },
	{ "tiff", "image/tiff" },
	{ "ttf", "font/ttf" },
	{ "txt", "text/plain" },
	{ "vcard", "text/vcard" },
	{ "vcf", "text/vcard" },
	{ "wav", "audio/wav" },
	{ "weba", "audio/webm" },
	{ "webm", "video/webm" },
	{ "webp", "image/webp" },
	{ "woff", "font/woff" },
	{ "woff2", "font/woff2" },
	{ "xhtml", "application/xhtml+xml" },
	{ "xls", "application/vnd.ms-excel" },
	{ "xlsx", "application/vnd.openxmlformats-officedocument."
		  "spreadsheetml.sheet" },
	{ "xml", "application/xml" },
	{ "xz", "application/x-xz" },
	{ "yaml", "application/yaml" },
	{ "yml", "application/yaml" },
	{ "zip", "application/zip" },
	{ "zst", "application/zstd" },
};

#define OCTET "application/octet-stream"
/* Longer extensions are in no table entry. */
#define EXT_MAX 8

const struct mf__mtype *
mf__mime_table(size_t *n)
{
	*n = sizeof(mtypes) / sizeof(mtypes[0]);
	return mtypes;
}

const char *
mf_mime_type(const char *filename, size_t n)
{
	char ext[EXT_MAX + 1];
	size_t i, dot, lo, hi;

	if (filename == NULL)
		return OCTET;
	/* The extension: after the last dot of the last path component;
	 * none for a name that only starts with a dot (".profile"). */
	dot = n;
	for (i = n; i > 0; i--) {
		char c = filename[i - 1];

		if (c == '/' || c == '\\')
			return OCTET;
		if (c == '.') {
			dot = i - 1;
			break;
		}
	}
	if (dot == n || dot == 0 || filename[dot - 1] == '/' ||
	    filename[dot - 1] == '\\')
		return OCTET;
	if (n - dot - 1 == 0 || n - dot - 1 > EXT_MAX)
		return OCTET;
	for (i = dot + 1; i < n; i++) {
		if (filename[i] == '\0')
			return OCTET;
		ext[i - dot - 1] = (char)mf__lower((unsigned char)filename[i]);
	}
	ext[n - dot - 1] = '\0';
	lo = 0;
	hi = sizeof(mtypes) / sizeof(mtypes[0]);
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(ext, mtypes[mid].ext);

		if (c == 0)
			return mtypes[mid].type;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return OCTET;
}

void
mf_msg_set_type_fn(mf_msg *m, mf_type_fn *fn, void *ctx)
{
	if (m == NULL)
		return;
	m->type_fn = fn;
	m->type_ctx = fn != NULL ? ctx : NULL;
}
