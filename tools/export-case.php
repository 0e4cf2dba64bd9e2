<?php
/**
 * Write a streamconf case document from a mediawiki-config checkout, for `streamconf import`.
 *
 *   php tools/export-case.php --production wmf-config/ext-EventStreamConfig.php \
 *       [--beta wmf-config/ext-EventStreamConfig-labs.php] \
 *       --dblists dblists --tags private,closed,group0,group1,group2 \
 *       [--wikis all] [--beta-wikis all-labs] > case.json
 *
 * --production and --beta name PHP files that return arrays holding the three settings
 * (wgEventStreams, wgEventStreamsDefaultSettings, wgEventLoggingStreamNames); in the beta file a
 * name may start with '-' to replace the setting whole. --tags lists the tag dblists in precedence
 * order (or --tags-index names a PHP file returning that list). A wiki's tags are the tag dblists
 * that list it, in that order, then its language code and its family suffix.
 */

const SETTINGS = [ 'wgEventStreams', 'wgEventStreamsDefaultSettings', 'wgEventLoggingStreamNames' ];
const FAMILIES = [ 'wiktionary', 'wikiquote', 'wikibooks', 'wikisource', 'wikinews', 'wikiversity',
	'wikivoyage', 'wikimedia', 'wiki' ];

function fail( string $message ): void {
	fwrite( STDERR, "export-case: $message\n" );
	exit( 1 );
}

function settingsIn( string $file ): array {
	if ( !is_file( $file ) ) {
		fail( "no such file: $file" );
	}
	$all = require $file;
	if ( !is_array( $all ) ) {
		fail( "$file does not return an array" );
	}
	return array_filter( $all, static fn ( $name ) => in_array( ltrim( $name, '-' ), SETTINGS, true ),
		ARRAY_FILTER_USE_KEY );
}

function dblist( string $directory, string $name ): array {
	$file = "$directory/$name.dblist";
	if ( !is_file( $file ) ) {
		fail( "no such dblist: $file" );
	}
	$names = [];
	foreach ( file( $file, FILE_IGNORE_NEW_LINES ) as $line ) {
		$line = trim( explode( '#', $line, 2 )[0] );
		if ( $line !== '' ) {
			$names[] = $line;
		}
	}
	return $names;
}

function wikisWithTags( string $directory, string $list, array $tagOrder ): array {
	$members = [];
	foreach ( $tagOrder as $tag ) {
		$members[$tag] = array_flip( dblist( $directory, $tag ) );
	}
	$wikis = [];
	foreach ( dblist( $directory, $list ) as $db ) {
		$tags = array_values( array_filter( $tagOrder, static fn ( $tag ) => isset( $members[$tag][$db] ) ) );
		foreach ( FAMILIES as $family ) {
			if ( str_ends_with( $db, $family ) && strlen( $db ) > strlen( $family ) ) {
				$tags[] = str_replace( '_', '-', substr( $db, 0, -strlen( $family ) ) );
				$tags[] = $family;
				break;
			}
		}
		$wikis[$db] = $tags;
	}
	return $wikis;
}

$options = getopt( '', [ 'production:', 'beta:', 'dblists:', 'tags:', 'tags-index:', 'wikis:', 'beta-wikis:' ] );
foreach ( [ 'production', 'dblists' ] as $required ) {
	if ( !isset( $options[$required] ) ) {
		fail( "--$required is required (see the comment at the top of this file)" );
	}
}
$tagOrder = isset( $options['tags-index'] ) ? require $options['tags-index']
	: array_values( array_filter( explode( ',', $options['tags'] ?? '' ) ) );
$realms = [ 'production' => [
	'settings' => settingsIn( $options['production'] ),
	'wikis' => wikisWithTags( $options['dblists'], $options['wikis'] ?? 'all', $tagOrder ),
] ];
if ( isset( $options['beta'] ) ) {
	$realms['beta'] = [
		'base' => 'production',
		'overrides' => settingsIn( $options['beta'] ),
		'wikis' => wikisWithTags( $options['dblists'], $options['beta-wikis'] ?? 'all-labs', $tagOrder ),
	];
}
echo json_encode( [ 'realms' => $realms ],
	JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_PRESERVE_ZERO_FRACTION | JSON_THROW_ON_ERROR ) . "\n";
