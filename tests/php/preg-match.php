<?php
/**
 * preg_match as MediaWiki calls it on a stream key, with PHP's default pcre.backtrack_limit and
 * pcre.jit. Reads [[pattern, subject], ...] as JSON from stdin and writes, for each pair, 1 (a
 * match), 0 (none) or "error: <preg_last_error_msg()>" (preg_match returned false).
 */

$pairs = json_decode( file_get_contents( 'php://stdin' ), true, 512, JSON_THROW_ON_ERROR );
$results = [];
foreach ( $pairs as [ $pattern, $subject ] ) {
	$found = preg_match( $pattern, $subject );
	$results[] = $found === false ? 'error: ' . preg_last_error_msg() : $found;
}
echo json_encode( $results, JSON_THROW_ON_ERROR );
