<?php
/**
 * json_encode as MediaWiki calls it (FormatJson::encode with FormatJson::ALL_OK, as the API's JSON
 * printer does for formatversion=2), with the default serialize_precision of -1. Reads from stdin
 * {"floats": [16 hex digits of a big-endian IEEE double, ...], "strings": [...]} and writes the
 * encoding of [floats, strings], so that every float reaches PHP exactly, bit for bit. With
 * --script, as ResourceLoader embeds data in a module (Html::encodeJsVar: FormatJson::UTF8_OK
 * without XMLMETA_OK), which adds JSON_HEX_TAG | JSON_HEX_AMP.
 */

ini_set( 'serialize_precision', '-1' );
$input = json_decode( file_get_contents( 'php://stdin' ), true, 512, JSON_THROW_ON_ERROR );
$floats = array_map( static fn ( $hex ) => unpack( 'E', hex2bin( $hex ) )[1], $input['floats'] );
$script = ( $argv[1] ?? '' ) === '--script' ? JSON_HEX_TAG | JSON_HEX_AMP : 0;
echo json_encode( [ $floats, $input['strings'] ], JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | $script | JSON_THROW_ON_ERROR );
